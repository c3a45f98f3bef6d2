// Group commit of ledger entries (workers/ledger/writes/group_commit.ts, entry_writes.ts): entries that arrive while a
// commit is in flight are decided in order and written in one batch. Some tests let the HTTP path
// group as it will (the outcomes must not depend on it); others hold the object's queue so that a
// chosen set of entries is certain to form one group.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { LedgerResult } from '../../workers/ledger/ledger_result';
import type { PostEntryInput } from '../../workers/ledger/ledger_types';
import type { TransactionView } from '../../workers/ledger/transaction_view';
// Funded with paid credit: the refunds these tests use as D1-durable entries take paid credit only.
import { createWorkspace, deduct, grantPaid as grant, unique } from '../helpers/fixtures';
import { expectInvariant, shardD1Of } from '../helpers/ledger_checks';
import { balanceRow, completedSum, CREDIT, creditCheck, ledgerRows, ledgerStub, type LedgerRow } from './ledger_helpers';

type Entry = Omit<PostEntryInput, 'workspaceId'>;
const charge = (amountMicros: number, id = unique('g'), description = 'Group charge'): Entry => ({ id, kind: 'deduction', amountMicros, description });
/**
 * An entry that stays durable in D1 (a refund: not journaled in the object, see
 * workers/ledger/writes/entry_journal.ts): what the tests of D1 batches, guards and pipelining write.
 */
/** The credit block a write behind the object's back draws on (D1's block invariant kept too). */
const fundBehind = (workspaceId: string, transactionId: string, micros: number) =>
  shardD1Of(workspaceId)
    .prepare(
      `INSERT INTO credit_funding (transaction_id, block_id, workspace_id, amount_micros, position)
       SELECT ?1, id, ?2, ?3, 0 FROM credit_blocks WHERE workspace_id = ?2 AND remaining_micros >= ?3 LIMIT 1`,
    )
    .bind(transactionId, workspaceId, micros);

const refund = (amountMicros: number, id = unique('refund:g'), description = 'Group refund'): Entry => ({ id, kind: 'refund', amountMicros: -amountMicros, description });

/**
 * Runs `body` while every write described 'poison' fails: for D1-durable writes, a trigger on the
 * shard's transactions; for journaled ones (deductions, adjustments), on the object's journal, the
 * write that makes them durable.
 */
async function withPoison<T>(workspaceId: string, where: 'd1' | 'journal', body: () => Promise<T>): Promise<T> {
  const trigger = `inject_${where}_${workspaceId}`;
  const onJournal = (statement: string) => runInDurableObject(ledgerStub(workspaceId), async (_instance, state) => void state.storage.sql.exec(statement));
  if (where === 'd1') {
    await shardD1Of(workspaceId).prepare(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON transactions WHEN NEW.description = 'poison' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
    ).run();
  } else {
    await onJournal(`CREATE TRIGGER ${trigger} BEFORE INSERT ON entry_journal WHEN NEW.statements LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  }
  try {
    return await body();
  } finally {
    if (where === 'd1') await shardD1Of(workspaceId).prepare(`DROP TRIGGER ${trigger}`).run();
    else await onJournal(`DROP TRIGGER ${trigger}`);
  }
}

interface QueueHolder {
  queue: { run<T>(task: () => Promise<T>): Promise<T> };
  postEntry(input: PostEntryInput): Promise<LedgerResult<TransactionView>>;
}

/**
 * Posts `entries` to the workspace's object while its queue is held, then lets go: all of them are
 * waiting when the next turn starts, so they are certain to be one group.
 */
async function inOneGroup(workspaceId: string, entries: Entry[]): Promise<PromiseSettledResult<LedgerResult<TransactionView>>[]> {
  return runInDurableObject(ledgerStub(workspaceId), async (instance) => {
    const object = instance as unknown as QueueHolder;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = object.queue.run(() => gate);
    const answers = entries.map((e) => object.postEntry({ ...e, workspaceId }));
    release();
    await held;
    return Promise.allSettled(answers);
  });
}

const value = (settled: PromiseSettledResult<LedgerResult<TransactionView>> | undefined) => {
  expect(settled?.status).toBe('fulfilled');
  return (settled as PromiseFulfilledResult<LedgerResult<TransactionView>>).value;
};

/** Every completed entry, in ledger order, records the balance the one before it left plus its own amount. */
function expectBalanceChain(rows: LedgerRow[]) {
  let balance = 0;
  for (const r of rows.filter((row) => row.status === 'completed')) {
    balance += r.amount_micros;
    expect(r.balance_after_micros, `balance after ${r.id}`).toBe(balance);
  }
}

describe('group commit through the HTTP path, whatever the grouping', () => {
  it('200 concurrent deductions against a balance covering 150: exactly 150 succeed, 50 get 402; replays answer as the first time', async () => {
    const ws = await createWorkspace('Group commit: 200 deductions');
    await grant(ws.workspaceId, 150 * CREDIT);
    const ids = Array.from({ length: 200 }, (_, i) => unique(`g200-${i}`));

    const first = await Promise.all(ids.map((id, i) => deduct(ws.workspaceId, CREDIT, id, `Charge ${i}`)));
    const succeeded = first.filter((r) => r.status === 201);
    expect(succeeded).toHaveLength(150);
    expect(first.filter((r) => r.status === 402)).toHaveLength(50);
    for (const r of first) if (r.status === 402) expect(r.body.error.code).toBe('insufficient_credits');
    // No two deductions saw the same balance: 149, 148, ..., 0 credits after.
    expect(succeeded.map((r) => r.body.balanceAfterMicros as number).sort((a, b) => b - a)).toEqual(
      Array.from({ length: 150 }, (_, i) => (149 - i) * CREDIT),
    );

    expect(await balanceRow(ws.workspaceId)).toBe(0);
    expect(await completedSum(ws.workspaceId)).toBe(0);
    const rows = await ledgerRows(ws.workspaceId);
    expect(rows.filter((r) => r.type === 'usage')).toHaveLength(150);
    expectBalanceChain(rows);
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(0);

    // Every id again, concurrently: the 150 answer their original entry (replayed), the 50 refusals
    // wrote nothing and are refused again; nothing new is written.
    const again = await Promise.all(ids.map((id, i) => deduct(ws.workspaceId, CREDIT, id, `Charge ${i}`)));
    again.forEach((r, i) => {
      expect(r.status).toBe(first[i]!.status);
      if (first[i]!.status === 201) {
        expect(r.body).toEqual(first[i]!.body);
        expect(r.headers.get('Idempotent-Replayed')).toBe('true');
      }
    });
    // The same ids with another body: 409 for those that were written.
    const changed = await Promise.all(ids.slice(0, 20).map((id) => deduct(ws.workspaceId, 2 * CREDIT, id, 'Changed')));
    changed.forEach((r, i) => expect(r.status).toBe(first[i]!.status === 201 ? 409 : 402));
    expect(await ledgerRows(ws.workspaceId)).toEqual(rows);
    await expectInvariant(ws.workspaceId);
  });

  it('keeps each connection’s order: entries sent one after another are applied in that order', async () => {
    const ws = await createWorkspace('Group commit: order');
    await grant(ws.workspaceId, 1_000 * CREDIT);
    // Four connections, each sending its 15 deductions one after another with growing amounts.
    await Promise.all(
      ['a', 'b', 'c', 'd'].map(async (conn) => {
        for (let i = 0; i < 15; i++) {
          const res = await deduct(ws.workspaceId, (i + 1) * 1_000, unique(`${conn}-${i}`), `${conn}-${i}`);
          expect(res.status).toBe(201);
        }
      }),
    );
    const rows = (await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage');
    expect(rows).toHaveLength(60);
    for (const conn of ['a', 'b', 'c', 'd']) {
      expect(rows.filter((r) => r.description.startsWith(`${conn}-`)).map((r) => r.description)).toEqual(Array.from({ length: 15 }, (_, i) => `${conn}-${i}`));
    }
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    await expectInvariant(ws.workspaceId);
  });
});

describe('one group, held together', () => {
  it('decides in arrival order on the running balance: a 402 in the middle writes nothing and fails no other entry', async () => {
    const ws = await createWorkspace('Group: refusal inside');
    await grant(ws.workspaceId, 5 * CREDIT);
    const answers = await inOneGroup(ws.workspaceId, [charge(3 * CREDIT, unique('g'), 'first'), charge(3 * CREDIT), charge(2 * CREDIT, unique('g'), 'third')]);
    const [a, b, c] = answers.map(value);
    expect(a).toMatchObject({ ok: true, replayed: false, value: { amountMicros: -3 * CREDIT, balanceAfterMicros: 2 * CREDIT } });
    expect(b).toMatchObject({ ok: false, code: 'insufficient_credits' });
    expect(c).toMatchObject({ ok: true, replayed: false, value: { amountMicros: -2 * CREDIT, balanceAfterMicros: 0 } });
    const usage = (await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage');
    expect(usage.map((r) => [r.description, r.balance_after_micros])).toEqual([
      ['first', 2 * CREDIT],
      ['third', 0],
    ]);
    // Written by one batch: one commit instant for the group.
    expect(usage[0]!.created_at_ms).toBe(usage[1]!.created_at_ms);
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    await expectInvariant(ws.workspaceId);
  });

  it('mixes deductions, grants, corrections and refunds, each recording the balance it left', async () => {
    const ws = await createWorkspace('Group: mixed kinds');
    await grant(ws.workspaceId, 2 * CREDIT);
    const answers = (
      await inOneGroup(ws.workspaceId, [
        charge(3 * CREDIT), // refused: 2 available
        { id: unique('grant'), kind: 'adjustment', amountMicros: 5 * CREDIT, description: 'Grant' },
        charge(3 * CREDIT), // now covered: 7 - 3 = 4
        { id: unique('refund'), kind: 'refund', amountMicros: -1 * CREDIT, description: 'Refund' },
        { id: unique('fix'), kind: 'adjustment', amountMicros: -10 * CREDIT, description: 'Correction' }, // takes the 3 left, forgives 7
      ])
    ).map(value);
    expect(answers.map((a) => (a.ok ? a.value.balanceAfterMicros : a.code))).toEqual(['insufficient_credits', 7 * CREDIT, 4 * CREDIT, 3 * CREDIT, 0]);
    expect(answers[4]).toMatchObject({ ok: true, value: { amountMicros: -3 * CREDIT, forgivenMicros: 7 * CREDIT } });
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(0);
    await expectInvariant(ws.workspaceId);
  });

  it('an id repeated within the group: the second is a replay of the first, another body is 409', async () => {
    const ws = await createWorkspace('Group: repeated id');
    await grant(ws.workspaceId, 10 * CREDIT);
    const id = unique('twice');
    const answers = (await inOneGroup(ws.workspaceId, [charge(CREDIT, id, 'Once'), charge(CREDIT, id, 'Once'), charge(2 * CREDIT, id, 'Other'), charge(CREDIT)])).map(value);
    expect(answers[0]).toMatchObject({ ok: true, replayed: false });
    expect(answers[1]).toEqual({ ...answers[0], replayed: true });
    expect(answers[2]).toMatchObject({ ok: false, code: 'idempotency_conflict' });
    expect(answers[3]).toMatchObject({ ok: true, replayed: false, value: { balanceAfterMicros: 8 * CREDIT } });
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage')).toHaveLength(2);
    expect(await balanceRow(ws.workspaceId)).toBe(8 * CREDIT);
  });

  it('a refused entry is not answered by a later entry of its own group that used its id', async () => {
    const ws = await createWorkspace('Group: refused then written');
    await grant(ws.workspaceId, 5 * CREDIT);
    const id = unique('retry');
    const answers = (await inOneGroup(ws.workspaceId, [charge(9 * CREDIT, id, 'Too big'), charge(3 * CREDIT, id, 'Fits')])).map(value);
    expect(answers[0]).toMatchObject({ ok: false, code: 'insufficient_credits' });
    expect(answers[1]).toMatchObject({ ok: true, replayed: false, value: { balanceAfterMicros: 2 * CREDIT, description: 'Fits' } });
  });

  it('ids already in D1 replay (and are not charged again) while the rest of the group is written', async () => {
    const ws = await createWorkspace('Group: replays from D1');
    await grant(ws.workspaceId, 10 * CREDIT);
    const earlierId = unique('earlier');
    const earlier = await deduct(ws.workspaceId, 2 * CREDIT, earlierId, 'Earlier');
    expect(earlier.status).toBe(201);
    const answers = (
      await inOneGroup(ws.workspaceId, [charge(CREDIT), charge(2 * CREDIT, earlierId, 'Earlier'), charge(3 * CREDIT, earlierId, 'Changed'), charge(CREDIT)])
    ).map(value);
    expect(answers[0]).toMatchObject({ ok: true, replayed: false, value: { balanceAfterMicros: 7 * CREDIT } });
    expect(answers[1]).toEqual({ ok: true, replayed: true, value: earlier.body });
    expect(answers[2]).toMatchObject({ ok: false, code: 'idempotency_conflict' });
    expect(answers[3]).toMatchObject({ ok: true, replayed: false, value: { balanceAfterMicros: 6 * CREDIT } });
    expect(await balanceRow(ws.workspaceId)).toBe(6 * CREDIT);
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    await expectInvariant(ws.workspaceId);
  });

  for (const [where, make] of [
    ['journal', charge],
    ['d1', refund],
  ] as const) {
    it(`a failure of the group’s durable write (${where === 'journal' ? 'deductions: the object’s journal' : 'refunds: the D1 batch'}) fails every entry of the group, writes nothing, and the next group commits`, async () => {
      const ws = await createWorkspace(`Group: injected failure (${where})`);
      await grant(ws.workspaceId, 10 * CREDIT);
      const before = await ledgerRows(ws.workspaceId);
      await withPoison(ws.workspaceId, where, async () => {
        const failed = await inOneGroup(ws.workspaceId, [make(CREDIT), make(CREDIT, undefined, 'poison'), make(CREDIT)]);
        for (const f of failed) {
          expect(f.status).toBe('rejected');
          expect(String((f as PromiseRejectedResult).reason)).toMatch(/injected failure/);
        }
        expect(await ledgerRows(ws.workspaceId)).toEqual(before);
        expect(await balanceRow(ws.workspaceId)).toBe(10 * CREDIT);
        expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT);
        // The next group is decided on the balance nothing of the failed group moved, and commits.
        const next = (await inOneGroup(ws.workspaceId, [make(CREDIT), make(2 * CREDIT)])).map(value);
        expect(next.map((a) => a.ok && a.value.balanceAfterMicros)).toEqual([9 * CREDIT, 7 * CREDIT]);
      });
      expect(await balanceRow(ws.workspaceId)).toBe(7 * CREDIT);
      await expectInvariant(ws.workspaceId);
    });
  }

  it('a stale cache aborts the whole batch; the group is decided again on the true balance', async () => {
    const ws = await createWorkspace('Group: stale cache');
    await grant(ws.workspaceId, 10 * CREDIT);
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(10 * CREDIT);
    // Another writer takes 7 credits behind the object's back (keeping D1's own invariant).
    const shard = shardD1Of(ws.workspaceId);
    const behindId = `txn_${unique('behind').replace(/[^A-Za-z0-9]/g, '_')}`;
    await shard.batch([
      shard.prepare(
        `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros, forgiven_micros, balance_after_micros, created_at_ms, settled_at_ms)
         VALUES (?, ?, ?, 'h', 'adjustment', 'completed', 'Behind its back', ?, 0, ?, ?, ?)`,
      ).bind(behindId, ws.workspaceId, unique('behind'), -7 * CREDIT, 3 * CREDIT, Date.now(), Date.now()),
      shard.prepare('UPDATE balances SET balance_micros = balance_micros - ? WHERE workspace_id = ?').bind(7 * CREDIT, ws.workspaceId),
      fundBehind(ws.workspaceId, behindId, 7 * CREDIT),
    ]);
    // Refunds, which stay D1-durable: journaled deductions are decided on the object's balance, the
    // only writer's (test/ledger/entry_journal.test.ts shows what a write behind its back does then).
    const answers = (await inOneGroup(ws.workspaceId, [refund(2 * CREDIT), refund(2 * CREDIT), refund(CREDIT)])).map(value);
    // On the stale 10 they would leave 8, 6, 5; on the true 3: 1, then 0 twice, the rest forgiven.
    expect(answers.map((a) => (a.ok ? [a.value.balanceAfterMicros, a.value.forgivenMicros] : a.code))).toEqual([
      [CREDIT, 0],
      [0, CREDIT],
      [0, CREDIT],
    ]);
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    await expectInvariant(ws.workspaceId);
  });
});

// With more than 50 entries waiting, the first 50 form a group and the rest the next one, which is
// decided on the balance the first leaves and sent while the first batch is still in flight
// (pipelining, LedgerGroupCommit.drain).
describe('two groups in flight, the second decided on the first', () => {
  // Pipelining concerns D1-durable groups: refunds here (journaled deductions never wait for D1).
  const refunds = (n: number, poisonAt = -1) => Array.from({ length: n }, (_, i) => refund(CREDIT, unique(`p${i}`), i === poisonAt ? 'poison' : `pipelined ${i}`));
  const charges = (n: number) => Array.from({ length: n }, (_, i) => charge(CREDIT, unique(`p${i}`), `pipelined ${i}`));

  it('both commit, in order: 60 deductions, one balance chain', async () => {
    const ws = await createWorkspace('Pipeline: both commit');
    await grant(ws.workspaceId, 100 * CREDIT);
    const answers = (await inOneGroup(ws.workspaceId, charges(60))).map(value);
    expect(answers.map((a) => a.ok && a.value.balanceAfterMicros)).toEqual(Array.from({ length: 60 }, (_, i) => (99 - i) * CREDIT));
    const rows = (await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage');
    expect(rows.map((r) => r.description)).toEqual(Array.from({ length: 60 }, (_, i) => `pipelined ${i}`));
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    expect(await balanceRow(ws.workspaceId)).toBe(40 * CREDIT);
    await expectInvariant(ws.workspaceId);
  });

  it('200 deductions over 150 credits in four groups: exactly 150 succeed', async () => {
    const ws = await createWorkspace('Pipeline: 200 over 150');
    await grant(ws.workspaceId, 150 * CREDIT);
    const answers = (await inOneGroup(ws.workspaceId, charges(200))).map(value);
    expect(answers.filter((a) => a.ok)).toHaveLength(150);
    expect(answers.slice(150).every((a) => !a.ok && a.code === 'insufficient_credits')).toBe(true);
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    await expectInvariant(ws.workspaceId);
  });

  it('an injected failure of the first group fails the second, decided on its balance; nothing of either is written; the next group commits', async () => {
    const ws = await createWorkspace('Pipeline: injected failure');
    await grant(ws.workspaceId, 100 * CREDIT);
    const before = await ledgerRows(ws.workspaceId);
    await withPoison(ws.workspaceId, 'd1', async () => {
      // The poison is in the first group (entries 0-49); the second (50-59) has none of its own.
      const failed = await inOneGroup(ws.workspaceId, refunds(60, 10));
      expect(failed).toHaveLength(60);
      for (const f of failed) {
        expect(f.status).toBe('rejected');
        expect(String((f as PromiseRejectedResult).reason)).toMatch(/injected failure/);
      }
      expect(await ledgerRows(ws.workspaceId)).toEqual(before);
      expect(await balanceRow(ws.workspaceId)).toBe(100 * CREDIT);
    });
    const next = (await inOneGroup(ws.workspaceId, refunds(60))).map(value);
    expect(next.every((a) => a.ok)).toBe(true);
    expect(await balanceRow(ws.workspaceId)).toBe(40 * CREDIT);
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    await expectInvariant(ws.workspaceId);
  });

  it('journaled deductions: a failure of the first group’s journal write fails only that group; the second is decided on the untouched balance and commits', async () => {
    const ws = await createWorkspace('Journal: injected failure, two groups');
    await grant(ws.workspaceId, 100 * CREDIT);
    const entries = charges(60);
    entries[10] = { ...entries[10]!, description: 'poison' };
    const answers = await withPoison(ws.workspaceId, 'journal', () => inOneGroup(ws.workspaceId, entries));
    expect(answers.slice(0, 50).every((f) => f.status === 'rejected' && /injected failure/.test(String(f.reason)))).toBe(true);
    expect(answers.slice(50).map(value).map((a) => a.ok && a.value.balanceAfterMicros)).toEqual(Array.from({ length: 10 }, (_, i) => (99 - i) * CREDIT));
    const usage = (await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage');
    expect(usage.map((r) => r.description)).toEqual(Array.from({ length: 10 }, (_, i) => `pipelined ${50 + i}`));
    expect(await balanceRow(ws.workspaceId)).toBe(90 * CREDIT);
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    await expectInvariant(ws.workspaceId);
  });

  it('a failure in the first of four groups fails the one in flight behind it; the two after are decided afresh and commit', async () => {
    const ws = await createWorkspace('Pipeline: four groups');
    await grant(ws.workspaceId, 500 * CREDIT);
    const answers = await withPoison(ws.workspaceId, 'd1', () => inOneGroup(ws.workspaceId, refunds(160, 0)));
    expect(answers.slice(0, 100).every((f) => f.status === 'rejected' && /injected failure/.test(String(f.reason)))).toBe(true);
    expect(answers.slice(100).map(value).map((a) => a.ok && a.value.balanceAfterMicros)).toEqual(Array.from({ length: 60 }, (_, i) => (499 - i) * CREDIT));
    expect(await balanceRow(ws.workspaceId)).toBe(440 * CREDIT);
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    await expectInvariant(ws.workspaceId);
  });

  it('a stale cache fails the first batch and so the second: both are decided again on the true balance', async () => {
    const ws = await createWorkspace('Pipeline: stale cache');
    await grant(ws.workspaceId, 100 * CREDIT);
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(100 * CREDIT);
    // Another writer takes 70 credits behind the object's back (keeping D1's own invariant).
    const shard = shardD1Of(ws.workspaceId);
    const behindId = `txn_${unique('behind').replace(/[^A-Za-z0-9]/g, '_')}`;
    await shard.batch([
      shard.prepare(
        `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros, forgiven_micros, balance_after_micros, created_at_ms, settled_at_ms)
         VALUES (?, ?, ?, 'h', 'adjustment', 'completed', 'Behind its back', ?, 0, ?, ?, ?)`,
      ).bind(behindId, ws.workspaceId, unique('behind'), -70 * CREDIT, 30 * CREDIT, Date.now(), Date.now()),
      shard.prepare('UPDATE balances SET balance_micros = balance_micros - ? WHERE workspace_id = ?').bind(70 * CREDIT, ws.workspaceId),
      fundBehind(ws.workspaceId, behindId, 70 * CREDIT),
    ]);
    const answers = (await inOneGroup(ws.workspaceId, refunds(60))).map(value);
    // On the stale 100 each would take its credit; on the true 30, the first 30 do, the rest is forgiven.
    expect(answers.map((a) => (a.ok ? [a.value.balanceAfterMicros, a.value.forgivenMicros] : a.code))).toEqual([
      ...Array.from({ length: 30 }, (_, i) => [(29 - i) * CREDIT, 0]),
      ...Array.from({ length: 30 }, () => [0, CREDIT]),
    ]);
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    expectBalanceChain(await ledgerRows(ws.workspaceId));
    await expectInvariant(ws.workspaceId);
  });
});
