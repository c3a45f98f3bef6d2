// Deposits and resources in the group commit (workers/ledger/writes/group_commit.ts): opened and closed
// deposits, resource starts, stops and resizes join the entries of the same group, are decided in
// arrival order against the running state, and are answered one by one once the batch is durable.
// Some tests hold the object's queue so that a chosen set of writes is certain to be one group;
// others let the HTTP path group as it will.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { LedgerResult } from '../../workers/ledger/ledger_result';
import type { WorkspaceLedger } from '../../workers/ledger/object/workspace_ledger';
import { internal } from '../helpers/api';
// Funded with paid credit: the refunds these tests use as D1-durable entries take paid credit only.
import { createWorkspace, grantPaid as grant, unique } from '../helpers/fixtures';
import { expectInvariant, shardD1Of } from '../helpers/ledger_checks';
import { balanceRow, CREDIT, ledgerRows, ledgerStub } from './ledger_helpers';

type LedgerWrites = Pick<WorkspaceLedger, 'openDeposit' | 'closeDeposit' | 'postEntry' | 'startResource' | 'stopResource'>;
type Call = (object: LedgerWrites) => Promise<LedgerResult<unknown>>;

/** Runs `calls` on the workspace's object while its queue is held, then lets go: one group. */
async function inOneGroup(workspaceId: string, calls: Call[]): Promise<PromiseSettledResult<LedgerResult<unknown>>[]> {
  return runInDurableObject(ledgerStub(workspaceId), async (instance) => {
    const object = instance as unknown as LedgerWrites & { queue: { run<T>(task: () => Promise<T>): Promise<T> } };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = object.queue.run(() => gate);
    const answers = calls.map((call) => call(object));
    release();
    await held;
    return Promise.allSettled(answers);
  });
}

/** The fulfilled answers, as `ok` values or failure codes. */
function outcomes(settled: PromiseSettledResult<LedgerResult<unknown>>[]) {
  return settled.map((s) => {
    expect(s.status).toBe('fulfilled');
    const r = (s as PromiseFulfilledResult<LedgerResult<unknown>>).value;
    return r.ok ? r : { code: r.code };
  });
}

const resourceId = (prefix: string) => unique(prefix).replaceAll('-', '_');
const open = (ws: string, key: string, amountMicros: number): Call => (o) => o.openDeposit({ workspaceId: ws, key, type: 'deposit', amountMicros, description: `Deposit ${key}` });
const close = (ws: string, key: string, outcome: 'completed' | 'failed' = 'completed'): Call => (o) => o.closeDeposit({ workspaceId: ws, key, outcome });
// The ledger entry of these mixed groups is a refund, which stays D1-durable like deposits and
// resources: deductions and adjustments are journaled in the object and form groups of their own
// (test/ledger/entry_journal.test.ts).
const charge = (ws: string, amountMicros: number, description = 'Group charge'): Call => (o) =>
  o.postEntry({ workspaceId: ws, id: unique('refund'), kind: 'refund', amountMicros: -amountMicros, description });
const startInstance = (ws: string, id: string, instanceType = 'cpu-small'): Call => (o) => o.startResource({ workspaceId: ws, id, kind: 'instance', instanceType });
const stopResource = (ws: string, id: string): Call => (o) => o.stopResource(ws, id, null);

async function resourceRows(workspaceId: string) {
  const { results } = await shardD1Of(workspaceId).prepare('SELECT id, stopped_at_ms FROM resources WHERE workspace_id = ? ORDER BY id')
    .bind(workspaceId)
    .all<{ id: string; stopped_at_ms: number | null }>();
  return results;
}

async function openIntervals(workspaceId: string) {
  const row = await shardD1Of(workspaceId).prepare('SELECT COUNT(*) AS n FROM resource_intervals WHERE workspace_id = ? AND stopped_at_ms IS NULL').bind(workspaceId).first<{ n: number }>();
  return row!.n;
}

describe('one group of deposits, entries and resources, held together', () => {
  it('decides each on the state the earlier ones leave: a deposit closed in the group covers what follows; refusals write nothing and fail no other', async () => {
    const ws = (await createWorkspace('Group writes: running state')).workspaceId;
    const [r1, r2, r3] = [resourceId('gw_r1'), resourceId('gw_r2'), resourceId('gw_r3')];
    const key = `checkout:${unique('gw')}`;
    const answers = outcomes(
      await inOneGroup(ws, [
        startInstance(ws, r1), // nothing to spend yet: 402
        open(ws, key, 5 * CREDIT),
        close(ws, key), // balance 5
        charge(ws, 2 * CREDIT, 'first'), // 3 left
        startInstance(ws, r2), // now covered
        close(ws, `checkout:${unique('nope')}`), // no such deposit: 404
        stopResource(ws, r2),
        charge(ws, 3 * CREDIT, 'last'), // 0 left
        startInstance(ws, r3), // nothing left: 402
      ]),
    );
    expect(answers[0]).toEqual({ code: 'insufficient_credits' });
    expect(answers[1]).toMatchObject({ ok: true, replayed: false, value: { type: 'deposit', status: 'pending', amountMicros: 5 * CREDIT } });
    expect(answers[2]).toMatchObject({ ok: true, replayed: false, value: { type: 'deposit', status: 'completed', balanceAfterMicros: 5 * CREDIT } });
    expect(answers[3]).toMatchObject({ ok: true, value: { amountMicros: -2 * CREDIT, balanceAfterMicros: 3 * CREDIT } });
    expect(answers[4]).toMatchObject({ ok: true, replayed: false, value: { id: r2, status: 'running' } });
    expect(answers[5]).toEqual({ code: 'not_found' });
    expect(answers[6]).toMatchObject({ ok: true, replayed: false, value: { id: r2, status: 'stopped' } });
    expect(answers[7]).toMatchObject({ ok: true, value: { amountMicros: -3 * CREDIT, balanceAfterMicros: 0 } });
    expect(answers[8]).toEqual({ code: 'insufficient_credits' });

    // Written by one batch: one commit instant for the group; the refusals left nothing.
    const rows = await ledgerRows(ws);
    expect(rows.map((r) => [r.type, r.status, r.balance_after_micros])).toEqual([
      ['deposit', 'completed', 5 * CREDIT],
      ['refund', 'completed', 3 * CREDIT],
      ['refund', 'completed', 0],
    ]);
    expect(new Set(rows.map((r) => r.created_at_ms)).size).toBe(1);
    expect((await resourceRows(ws)).map((r) => [r.id, r.stopped_at_ms !== null])).toEqual([[r2, true]]);
    expect(await openIntervals(ws)).toBe(0);
    expect(await balanceRow(ws)).toBe(0);
    await expectInvariant(ws);

    // The same writes again, in one group: each answers as it did (replays), nothing moves.
    const again = outcomes(await inOneGroup(ws, [open(ws, key, 5 * CREDIT), close(ws, key), startInstance(ws, r2), stopResource(ws, r2), startInstance(ws, r1)]));
    expect(again[0]).toMatchObject({ ok: true, replayed: true, value: { id: (answers[1] as { value: { id: string } }).value.id, status: 'completed' } });
    expect(again[1]).toMatchObject({ ok: true, replayed: true, value: { status: 'completed', balanceAfterMicros: 5 * CREDIT } });
    expect(again[2]).toMatchObject({ ok: true, replayed: true, value: { id: r2, status: 'stopped' } });
    expect(again[3]).toMatchObject({ ok: true, replayed: true, value: { id: r2, status: 'stopped' } });
    expect(again[4]).toEqual({ code: 'insufficient_credits' });
    expect(await ledgerRows(ws)).toEqual(rows);
    await expectInvariant(ws);
  });

  it('a 409 (a key or a resource id reused with another body) and a 404 (another workspace’s resource) fail only themselves', async () => {
    const ws = (await createWorkspace('Group writes: conflicts')).workspaceId;
    const other = (await createWorkspace('Group writes: someone else')).workspaceId;
    await grant(ws, 10 * CREDIT);
    await grant(other, 10 * CREDIT);
    const theirs = resourceId('gw_theirs');
    expect(outcomes(await inOneGroup(other, [startInstance(other, theirs)]))[0]).toMatchObject({ ok: true });
    const [mine, twice] = [resourceId('gw_mine'), resourceId('gw_twice')];
    const key = `card:${unique('gw')}`;
    const answers = outcomes(
      await inOneGroup(ws, [
        open(ws, key, 4 * CREDIT),
        open(ws, key, 6 * CREDIT), // the key again, another amount: 409
        startInstance(ws, twice),
        startInstance(ws, twice, 'cpu-large'), // the id again, another body: 409
        startInstance(ws, twice), // the same body: its replay
        stopResource(ws, theirs), // another workspace's: 404
        startInstance(ws, mine),
        close(ws, key, 'failed'),
        charge(ws, 10 * CREDIT),
      ]),
    );
    expect(answers.map((a) => ('code' in a ? a.code : a.replayed ? 'replayed' : 'written'))).toEqual([
      'written',
      'idempotency_conflict',
      'written',
      'idempotency_conflict',
      'replayed',
      'not_found',
      'written',
      'written',
      'written',
    ]);
    expect(answers[7]).toMatchObject({ value: { status: 'failed', balanceAfterMicros: null } });
    expect((await resourceRows(ws)).map((r) => r.id).sort()).toEqual([mine, twice].sort());
    expect((await resourceRows(other)).map((r) => [r.id, r.stopped_at_ms])).toEqual([[theirs, null]]);
    expect(await balanceRow(ws)).toBe(0);
    await expectInvariant(ws);
  });

  it('a failure injected into the batch fails every write of the group and writes nothing; the next group commits', async () => {
    const ws = (await createWorkspace('Group writes: injected failure')).workspaceId;
    await grant(ws, 10 * CREDIT);
    const pendingKey = `checkout:${unique('gw_pending')}`;
    expect(outcomes(await inOneGroup(ws, [open(ws, pendingKey, 3 * CREDIT)]))[0]).toMatchObject({ ok: true });
    const running = resourceId('gw_running');
    expect(outcomes(await inOneGroup(ws, [startInstance(ws, running)]))[0]).toMatchObject({ ok: true });
    const rowsBefore = await ledgerRows(ws);
    const resourcesBefore = await resourceRows(ws);

    const poison = resourceId('gw_poison');
    const trigger = `inject_failure_${ws}`;
    await shardD1Of(ws).prepare(`CREATE TRIGGER ${trigger} BEFORE INSERT ON resources WHEN NEW.id = '${poison}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`).run();
    const newKey = `checkout:${unique('gw_new')}`;
    const group = (startThis: string) => [open(ws, newKey, 2 * CREDIT), close(ws, pendingKey), charge(ws, CREDIT), stopResource(ws, running), startInstance(ws, startThis)];
    try {
      const failed = await inOneGroup(ws, group(poison));
      expect(failed).toHaveLength(5);
      for (const f of failed) {
        expect(f.status).toBe('rejected');
        expect(String((f as PromiseRejectedResult).reason)).toMatch(/injected failure/);
      }
      expect(await ledgerRows(ws)).toEqual(rowsBefore);
      expect(await resourceRows(ws)).toEqual(resourcesBefore);
      expect(await openIntervals(ws)).toBe(1);
      expect(await balanceRow(ws)).toBe(10 * CREDIT);
    } finally {
      await shardD1Of(ws).prepare(`DROP TRIGGER ${trigger}`).run();
    }
    // The cache was dropped; the next group is decided on D1's state and commits, every write of it.
    const fine = resourceId('gw_fine');
    const next = outcomes(await inOneGroup(ws, group(fine)));
    expect(next.map((a) => ('code' in a ? a.code : a.replayed))).toEqual([false, false, false, false, false]);
    expect(next[1]).toMatchObject({ value: { status: 'completed', balanceAfterMicros: 13 * CREDIT } });
    expect(next[2]).toMatchObject({ value: { balanceAfterMicros: 12 * CREDIT } });
    expect((await resourceRows(ws)).map((r) => [r.id, r.stopped_at_ms !== null])).toEqual(
      [
        [running, true],
        [fine, false],
      ].sort(),
    );
    expect(await balanceRow(ws)).toBe(12 * CREDIT);
    await expectInvariant(ws);
  });
});

describe('concurrent writes through the object, whatever the grouping', () => {
  it('40 resources started and stopped concurrently (each twice): every call answered on its own, each resource metered once', async () => {
    const ws = (await createWorkspace('Group writes: concurrent resources')).workspaceId;
    await grant(ws, 100 * CREDIT);
    const ids = Array.from({ length: 40 }, (_, i) => resourceId(`gw_c${i}`));
    const body = (id: string, i: number) => ({ id, workspaceId: ws, kind: i % 2 ? 'volume' : 'instance', ...(i % 2 ? { sizeBytes: 1_000_000_000 } : { instanceType: 'cpu-small' }) });
    const starts = await Promise.all([...ids, ...ids].map((id, i) => internal('POST', '/internal/v1/resources', body(id, i % 40))));
    for (const [i, r] of starts.entries()) {
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.id).toBe(ids[i % 40]);
    }
    // Each pair answered with the same resource (the later one a replay of the first).
    for (let i = 0; i < 40; i++) expect(starts[i + 40]!.body).toEqual(starts[i]!.body);
    expect(await openIntervals(ws)).toBe(40);

    const stops = await Promise.all([...ids, ...ids].map((id) => internal('POST', `/internal/v1/resources/${id}/stop`, {})));
    for (const [i, r] of stops.entries()) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ id: ids[i % 40], status: 'stopped' });
    }
    for (let i = 0; i < 40; i++) expect(stops[i + 40]!.body.stoppedAt).toBe(stops[i]!.body.stoppedAt);
    expect((await resourceRows(ws)).every((r) => r.stopped_at_ms !== null)).toBe(true);
    expect(await openIntervals(ws)).toBe(0);
    await expectInvariant(ws);
  });

  it('30 deposits opened, then closed concurrently (each close sent twice): each credited once, the balance is their sum', async () => {
    const ws = (await createWorkspace('Group writes: concurrent deposits')).workspaceId;
    const stub = ledgerStub(ws);
    const keys = Array.from({ length: 30 }, (_, i) => `checkout:${unique(`gw_d${i}`)}`);
    const opened = await Promise.all(keys.map((key, i) => stub.openDeposit({ workspaceId: ws, key, type: 'deposit', amountMicros: (i + 1) * CREDIT, description: `Deposit ${i}` })));
    for (const o of opened) expect(o).toMatchObject({ ok: true, replayed: false, value: { status: 'pending' } });
    // Every third one is declined; the rest are paid.
    const outcome = (i: number) => (i % 3 === 0 ? 'failed' : 'completed');
    const closed = await Promise.all([...keys, ...keys].map((key, i) => stub.closeDeposit({ workspaceId: ws, key, outcome: outcome(i % 30) })));
    for (let i = 0; i < 30; i++) {
      const [a, b] = [closed[i]!, closed[i + 30]!];
      expect(a.ok && b.ok).toBe(true);
      // One of the two closed it; the other answers with the entry as it is.
      expect([a.ok && a.replayed, b.ok && b.replayed].sort()).toEqual([false, true]);
      expect(a.ok && a.value).toEqual(b.ok && { ...b.value });
      expect(a.ok && a.value.status).toBe(outcome(i));
    }
    const paid = keys.reduce((sum, _, i) => sum + (outcome(i) === 'completed' ? (i + 1) * CREDIT : 0), 0);
    expect(await balanceRow(ws)).toBe(paid);
    const rows = await ledgerRows(ws);
    expect(rows.filter((r) => r.status === 'completed')).toHaveLength(20);
    expect(rows.filter((r) => r.status === 'failed')).toHaveLength(10);
    // Closed in some order: each completed one records the balance after it, in the order applied.
    const after = rows.filter((r) => r.status === 'completed').map((r) => r.balance_after_micros!);
    expect(new Set(after).size).toBe(20);
    expect(Math.max(...after)).toBe(paid);
    await expectInvariant(ws);
  });
});
