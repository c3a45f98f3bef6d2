// Deductions and adjustments are durable in the ledger object's own SQLite first (its journal,
// workers/ledger/writes/entry_journal.ts) and projected to the shard D1 behind their answers
// (entry_projector.ts). These tests hold the projection back with a trigger in D1 that refuses the
// held entries (a transient failure the projector retries), and check: the answer comes before D1
// has the entry; readers still show it; an evicted object's journal is projected exactly once (by
// its next load or by its alarm); an ambiguous failure is not projected twice; replays and 409s are
// decided from the key index; other D1 writers see the balance the journal leaves.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { answeredDeduction as deduct, createWorkspace, grant, grantPaid, unique } from '../helpers/fixtures';
import { expectInvariant, projected, shardD1Of } from '../helpers/ledger_checks';
import { adjust, balanceRow, CREDIT, creditCheck, ledgerRows, ledgerStub } from './ledger_helpers';

const HELD = 'held by the test';

/** Makes D1 refuse every entry described HELD until `release` is called (the projector keeps retrying). */
async function holdProjection(workspaceId: string): Promise<{ release: () => Promise<void> }> {
  const trigger = `hold_${workspaceId}`;
  const d1 = shardD1Of(workspaceId);
  await d1.prepare(`CREATE TRIGGER ${trigger} BEFORE INSERT ON transactions WHEN NEW.description = '${HELD}' BEGIN SELECT RAISE(ABORT, 'held'); END`).run();
  return { release: async () => void (await d1.prepare(`DROP TRIGGER IF EXISTS ${trigger}`).run()) };
}

/** D1's rows of the workspace, read without waiting for the object (what D1 holds right now). */
async function d1RowsNow(workspaceId: string) {
  const { results } = await shardD1Of(workspaceId).prepare('SELECT id, idempotency_key, amount_micros FROM transactions WHERE workspace_id = ? ORDER BY seq').bind(workspaceId).all<{ id: string; idempotency_key: string; amount_micros: number }>();
  return results;
}

const d1BalanceNow = async (workspaceId: string) =>
  (await shardD1Of(workspaceId).prepare('SELECT balance_micros AS b FROM balances WHERE workspace_id = ?').bind(workspaceId).first<{ b: number }>())!.b;

/**
 * Groups in the object's journal not yet in D1 (projected ones stay stored until the next group's
 * append or until the object goes quiet: counted by the journal's own mark of what D1 holds).
 */
const journaled = (workspaceId: string) =>
  runInDurableObject(ledgerStub(workspaceId), (instance) => (instance as unknown as { journal: { pendingGroups: number } }).journal.pendingGroups);

/**
 * Waits until the projector has failed at least `n` times in a row (its backoff is then long enough
 * to act between attempts); `stopped`: and its run gave up (left to the alarm), so the object can be evicted.
 */
async function projectorFailures(workspaceId: string, n: number, stopped = false) {
  for (let i = 0; i < 300; i++) {
    const { failures, running } = await runInDurableObject(ledgerStub(workspaceId), (instance) => {
      const projector = (instance as unknown as { projector: { failures: number; running: unknown } }).projector;
      return { failures: projector.failures, running: projector.running !== null };
    });
    if (failures >= n && !(stopped && running)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the projector never failed');
}

describe('deductions durable in the ledger object, projected to D1 behind their answers', () => {
  it('answers before D1 holds the entry; history and the transaction by id still show it to the caller', async () => {
    const ws = await createWorkspace('Journal: answered first');
    await grant(ws.workspaceId, 10 * CREDIT);
    const hold = await holdProjection(ws.workspaceId);
    const res = await deduct(ws.workspaceId, 3 * CREDIT, unique('first'), HELD);
    expect(res.status).toBe(201);
    expect(res.body.balanceAfterMicros).toBe(7 * CREDIT);
    // Answered, yet not in D1: durable in the object's journal only.
    expect((await d1RowsNow(ws.workspaceId)).some((r) => r.id === res.body.id)).toBe(false);
    expect(await d1BalanceNow(ws.workspaceId)).toBe(10 * CREDIT);
    expect(await journaled(ws.workspaceId)).toBe(1);
    // The object decides on it already.
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(7 * CREDIT);

    // Readers asked while D1 lacks it: they see D1 behind the object's answered seq (or ask the
    // object first) and wait for the projection, which comes once D1 takes it.
    const reading = Promise.all([
      publicApi('GET', '/v1/billing/credits/history', ws.adminKey),
      publicApi('GET', `/v1/billing/transactions/${res.body.id}`, ws.adminKey),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await hold.release();
    const [history, byId] = await reading;
    expect(history.status).toBe(200);
    expect(history.body.data[0]).toMatchObject({ id: res.body.id, amountMicros: -3 * CREDIT, balanceAfterMicros: 7 * CREDIT });
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ id: res.body.id, amountMicros: -3 * CREDIT, balanceAfterMicros: 7 * CREDIT });
    expect(await journaled(ws.workspaceId)).toBe(0);
    await expectInvariant(ws.workspaceId);
  });

  it('an evicted object’s journal is projected by its next load, exactly once, before anything else reads D1', async () => {
    const ws = await createWorkspace('Journal: eviction, next call');
    await grant(ws.workspaceId, 10 * CREDIT);
    const hold = await holdProjection(ws.workspaceId);
    const ids = [unique('e1'), unique('e2'), unique('e3')];
    for (const id of ids) expect((await deduct(ws.workspaceId, CREDIT, id, HELD)).status).toBe(201);
    expect(await journaled(ws.workspaceId)).toBe(3);
    await projectorFailures(ws.workspaceId, 7, true);
    await evictDurableObject(ledgerStub(ws.workspaceId));
    await hold.release();
    // The next call loads: the journal first, then D1's balance (which then includes the three).
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(7 * CREDIT);
    expect(await journaled(ws.workspaceId)).toBe(0);
    const rows = await d1RowsNow(ws.workspaceId);
    for (const id of ids) expect(rows.filter((r) => r.idempotency_key === id)).toHaveLength(1);
    expect(await d1BalanceNow(ws.workspaceId)).toBe(7 * CREDIT);
    // And the ledger goes on from there.
    expect((await deduct(ws.workspaceId, 2 * CREDIT)).body.balanceAfterMicros).toBe(5 * CREDIT);
    await expectInvariant(ws.workspaceId);
  });

  it('an evicted object’s journal is projected by its alarm, with no call to wake it', async () => {
    const ws = await createWorkspace('Journal: eviction, alarm');
    await grant(ws.workspaceId, 10 * CREDIT);
    const hold = await holdProjection(ws.workspaceId);
    const res = await deduct(ws.workspaceId, 4 * CREDIT, unique('alarm'), HELD);
    expect(res.status).toBe(201);
    const alarmAtMs = await runInDurableObject(ledgerStub(ws.workspaceId), (_instance, state) => state.storage.getAlarm());
    expect(alarmAtMs, 'an alarm is armed while the journal holds entries').not.toBeNull();
    expect(alarmAtMs!).toBeLessThanOrEqual(Date.now() + 10_000);
    await projectorFailures(ws.workspaceId, 7, true);
    await evictDurableObject(ledgerStub(ws.workspaceId));
    await hold.release();
    expect(await runDurableObjectAlarm(ledgerStub(ws.workspaceId))).toBe(true);
    expect((await d1RowsNow(ws.workspaceId)).filter((r) => r.id === res.body.id)).toHaveLength(1);
    expect(await d1BalanceNow(ws.workspaceId)).toBe(6 * CREDIT);
    expect(await journaled(ws.workspaceId)).toBe(0);
    await expectInvariant(ws.workspaceId);
  });

  it('a projection D1 committed while the projector saw a failure is not written twice', async () => {
    const ws = await createWorkspace('Journal: ambiguous failure');
    await grant(ws.workspaceId, 10 * CREDIT);
    const hold = await holdProjection(ws.workspaceId);
    const res = await deduct(ws.workspaceId, 2 * CREDIT, unique('ambiguous'), HELD);
    expect(res.status).toBe(201);
    await projectorFailures(ws.workspaceId, 6); // the next retry is hundreds of ms away
    // As if an attempt had committed and its answer been lost: the journal's group applied to D1.
    const statements = await runInDurableObject(ledgerStub(ws.workspaceId), (_instance, state) =>
      JSON.parse(state.storage.sql.exec<{ statements: string }>('SELECT statements FROM entry_journal ORDER BY seq LIMIT 1').one().statements) as { sql: string; params: unknown[] }[],
    );
    await hold.release();
    const d1 = shardD1Of(ws.workspaceId);
    await d1.batch(statements.map((s) => d1.prepare(s.sql).bind(...s.params)));
    // The retry meets the key already in D1 (the guard no longer holds): the group is taken as projected.
    expect(await balanceRow(ws.workspaceId)).toBe(8 * CREDIT);
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.id === res.body.id)).toHaveLength(1);
    expect(await journaled(ws.workspaceId)).toBe(0);
    expect((await deduct(ws.workspaceId, CREDIT)).body.balanceAfterMicros).toBe(7 * CREDIT);
    await expectInvariant(ws.workspaceId);
  });

  it('replays are decided from the key index: the same answer before and after projection and eviction, a changed body 409', async () => {
    const ws = await createWorkspace('Journal: replays');
    await grant(ws.workspaceId, 10 * CREDIT);
    const hold = await holdProjection(ws.workspaceId);
    const id = unique('replayed');
    const first = await deduct(ws.workspaceId, 3 * CREDIT, id, HELD);
    expect(first.status).toBe(201);
    // Journaled, not in D1 yet.
    const unprojected = await deduct(ws.workspaceId, 3 * CREDIT, id, HELD);
    expect(unprojected.status).toBe(201);
    expect(unprojected.headers.get('Idempotent-Replayed')).toBe('true');
    expect(unprojected.body).toEqual(first.body);
    expect((await deduct(ws.workspaceId, 4 * CREDIT, id, HELD)).status).toBe(409);
    await hold.release();
    await evictDurableObject(ledgerStub(ws.workspaceId));
    // Projected, and a new life of the object: the index answers from the object's SQLite.
    const projected = await deduct(ws.workspaceId, 3 * CREDIT, id, HELD);
    expect(projected.status).toBe(201);
    expect(projected.body).toEqual(first.body);
    expect((await deduct(ws.workspaceId, 3 * CREDIT, id, 'another description')).status).toBe(409);
    // An adjustment is journaled too, and replays the same way.
    const grantId = unique('grant-replay');
    const granted = await adjust(ws.workspaceId, CREDIT, grantId);
    expect((await adjust(ws.workspaceId, CREDIT, grantId)).body).toEqual(granted.body);
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.idempotency_key === id)).toHaveLength(1);
    expect(await balanceRow(ws.workspaceId)).toBe(8 * CREDIT);
    await expectInvariant(ws.workspaceId);
  });

  it('a key a D1-durable entry took (a refund under a caller’s key) is in the index too: a journaled deduction under it is a 409', async () => {
    const ws = await createWorkspace('Journal: key taken by a refund');
    // Paid credit: a refund takes paid credit only.
    await grantPaid(ws.workspaceId, 10 * CREDIT);
    const id = unique('shared');
    const refunded = await ledgerStub(ws.workspaceId).postEntry({ workspaceId: ws.workspaceId, id, kind: 'refund', amountMicros: -CREDIT, description: 'Refund' });
    expect(refunded).toMatchObject({ ok: true, replayed: false });
    expect((await deduct(ws.workspaceId, CREDIT, id, 'Refund')).status).toBe(409);
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.idempotency_key === id)).toHaveLength(1);
    expect(await balanceRow(ws.workspaceId)).toBe(9 * CREDIT);
    await expectInvariant(ws.workspaceId);
  });

  it('keys D1 held before the object kept an index are learnt from D1 once (backfill)', async () => {
    const ws = await createWorkspace('Journal: backfill');
    await grant(ws.workspaceId, 10 * CREDIT);
    const id = unique('before-index');
    const first = await deduct(ws.workspaceId, 2 * CREDIT, id);
    expect(first.status).toBe(201);
    await expectInvariant(ws.workspaceId);
    // As in an object from before the journal: no index, no marker; D1 has the entry.
    await runInDurableObject(ledgerStub(ws.workspaceId), (_instance, state) => {
      state.storage.sql.exec('DELETE FROM entry_keys');
      state.storage.sql.exec('DELETE FROM entry_journal_meta');
    });
    await evictDurableObject(ledgerStub(ws.workspaceId));
    const again = await deduct(ws.workspaceId, 2 * CREDIT, id);
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await deduct(ws.workspaceId, 5 * CREDIT, id)).status).toBe(409);
    expect(await balanceRow(ws.workspaceId)).toBe(8 * CREDIT);
  });

  it('a deposit and a settlement after journaled deductions see the balance the journal leaves', async () => {
    const ws = await createWorkspace('Journal: other writers after');
    const stub = ledgerStub(ws.workspaceId);
    await grant(ws.workspaceId, 10 * CREDIT);
    const hold = await holdProjection(ws.workspaceId);
    for (let i = 0; i < 3; i++) expect((await deduct(ws.workspaceId, CREDIT, unique(`before-deposit-${i}`), HELD)).status).toBe(201);
    const key = `checkout:${unique('after-journal')}`;
    // The deposit waits for the projection (its guard expects D1 to hold the object's balance).
    const opening = stub.openDeposit({ workspaceId: ws.workspaceId, key, type: 'deposit', amountMicros: 5 * CREDIT, description: 'Deposit' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await d1BalanceNow(ws.workspaceId)).toBe(10 * CREDIT);
    await hold.release();
    expect(await opening).toMatchObject({ ok: true });
    expect(await stub.closeDeposit({ workspaceId: ws.workspaceId, key, outcome: 'completed' })).toMatchObject({ ok: true, value: { balanceAfterMicros: 12 * CREDIT } });
    // Then more journaled deductions, and a settlement behind them (nothing to settle: it must still wait, and agree).
    for (let i = 0; i < 2; i++) expect((await deduct(ws.workspaceId, CREDIT, unique(`before-settle-${i}`))).status).toBe(201);
    expect(await stub.settle(ws.workspaceId, Date.now() - 3_600_000)).toMatchObject({ ok: true });
    expect(await d1BalanceNow(ws.workspaceId)).toBe(10 * CREDIT);
    const rows = await ledgerRows(ws.workspaceId);
    let balance = 0;
    for (const r of rows.filter((row) => row.status === 'completed')) {
      balance += r.amount_micros;
      expect(r.balance_after_micros).toBe(balance);
    }
    expect(balance).toBe(10 * CREDIT);
    await expectInvariant(ws.workspaceId);
  });

  it('200 concurrent deductions over 150 credits while the projection is held: exactly 150 answered, and exactly those reach D1', async () => {
    const ws = await createWorkspace('Journal: 200 over 150');
    await grant(ws.workspaceId, 150 * CREDIT);
    const hold = await holdProjection(ws.workspaceId);
    const answering = Promise.all(Array.from({ length: 200 }, (_, i) => deduct(ws.workspaceId, CREDIT, unique(`c${i}`), HELD)));
    // Near zero, enforcement may act (and write to D1): the groups there wait for the projection.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await d1BalanceNow(ws.workspaceId)).toBe(150 * CREDIT);
    await hold.release();
    const answers = await answering;
    expect(answers.filter((r) => r.status === 201)).toHaveLength(150);
    expect(answers.filter((r) => r.status === 402)).toHaveLength(50);
    const usage = (await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage');
    expect(usage).toHaveLength(150);
    expect(new Set(usage.map((r) => r.id))).toEqual(new Set(answers.filter((r) => r.status === 201).map((r) => r.body.id)));
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    await expectInvariant(ws.workspaceId);
  });

  it('projected groups leave the object’s SQLite with the next group’s write, or once it is quiet; groups an evicted object left stored are found in D1, not written twice', async () => {
    const ws = await createWorkspace('Journal: projected groups stored');
    await grant(ws.workspaceId, 10 * CREDIT);
    const storedGroups = () =>
      runInDurableObject(ledgerStub(ws.workspaceId), (_instance, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM entry_journal').one().n);
    const inD1 = async (id: string) => {
      for (let i = 0; i < 200; i++) {
        if ((await d1RowsNow(ws.workspaceId)).some((r) => r.id === id)) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`entry ${id} never reached D1`);
    };

    // Answered, then projected by the object on its own (nobody asks it to): its group stays stored
    // a moment, marked projected, and the next group's append deletes it in the same transaction.
    const first = await deduct(ws.workspaceId, CREDIT);
    await inD1(first.body.id);
    expect(await journaled(ws.workspaceId)).toBe(0);
    expect(await storedGroups()).toBe(1);
    const second = await deduct(ws.workspaceId, CREDIT);
    expect(await storedGroups()).toBe(1);
    await inD1(second.body.id);

    // Evicted within that moment: the next life takes the stored group as not projected, sends it
    // again, and finds its entry in D1 by id: written once, the balance moved once.
    await evictDurableObject(ledgerStub(ws.workspaceId));
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(8 * CREDIT);
    expect(await journaled(ws.workspaceId)).toBe(0);
    expect((await d1RowsNow(ws.workspaceId)).filter((r) => r.id === second.body.id)).toHaveLength(1);
    expect(await d1BalanceNow(ws.workspaceId)).toBe(8 * CREDIT);
    // Once it is quiet (or a reader asks the object to finish), nothing projected stays stored.
    await projected(ws.workspaceId);
    expect(await storedGroups()).toBe(0);
    expect((await deduct(ws.workspaceId, CREDIT)).body.balanceAfterMicros).toBe(7 * CREDIT);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await storedGroups()).toBe(0);
    await expectInvariant(ws.workspaceId);
  });
});
