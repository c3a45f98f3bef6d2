// The WorkspaceLedger Durable Object keeps the balance in memory. These tests evict it between
// mutations and check that it rebuilds from D1, that the hot path really is served from memory,
// and that a rebuild refuses a workspace whose balance row disagrees with its ledger.
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import { adjust, balanceRow, completedSum, CREDIT, creditCheck, ledgerRows, ledgerStub } from './ledger_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

/** What the object holds in memory right now (null when it has not loaded the workspace). */
const cachedState = (workspaceId: string) =>
  runInDurableObject(ledgerStub(workspaceId), (instance) => {
    const state = (instance as unknown as { state: { workspaceId: string; balanceMicros: number } | null }).state;
    return state ? { workspaceId: state.workspaceId, balanceMicros: state.balanceMicros } : null;
  });

const setBalanceRow = (workspaceId: string, balanceMicros: number) =>
  shardD1Of(workspaceId).prepare('UPDATE balances SET balance_micros = ? WHERE workspace_id = ?').bind(balanceMicros, workspaceId).run();

describe('the ledger object rebuilds its balance from D1 after eviction', () => {
  it('keeps the balance across evictions between mutations, and mutations continue from it', async () => {
    const ws = await createWorkspace('Eviction');
    const stub = ledgerStub(ws.workspaceId);
    await grant(ws.workspaceId, 10 * CREDIT);
    const firstDeductionId = unique('before-eviction');
    const firstDeduction = await deduct(ws.workspaceId, 3 * CREDIT, firstDeductionId);
    expect(firstDeduction.status).toBe(201);

    await evictDurableObject(stub);
    expect((await creditCheck(ws.workspaceId, 7 * CREDIT)).body).toEqual({ allowed: true, balanceMicros: 7 * CREDIT });
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(7 * CREDIT);

    const second = await deduct(ws.workspaceId, 2 * CREDIT);
    expect(second.status).toBe(201);
    expect(second.body.balanceAfterMicros).toBe(5 * CREDIT);

    await evictDurableObject(stub);
    const topUp = await adjust(ws.workspaceId, CREDIT, unique('after-eviction'));
    expect(topUp.status).toBe(201);
    expect(topUp.body.balanceAfterMicros).toBe(6 * CREDIT);

    await evictDurableObject(stub);
    const tooMuch = await deduct(ws.workspaceId, 6 * CREDIT + 1);
    expect(tooMuch.status).toBe(402);
    expect(tooMuch.body.error.code).toBe('insufficient_credits');

    expect(await balanceRow(ws.workspaceId)).toBe(6 * CREDIT);
    expect(await completedSum(ws.workspaceId)).toBe(6 * CREDIT);
    expect((await ledgerRows(ws.workspaceId)).map((r) => r.balance_after_micros)).toEqual([10, 7, 5, 6].map((n) => n * CREDIT));
  });

  it('an idempotent replay after eviction still returns the original answer and moves nothing', async () => {
    const ws = await createWorkspace('Replay after eviction');
    await grant(ws.workspaceId, 10 * CREDIT);
    const id = unique('replayed');
    const original = await deduct(ws.workspaceId, 4 * CREDIT, id);
    expect(original.status).toBe(201);
    await deduct(ws.workspaceId, CREDIT);

    await evictDurableObject(ledgerStub(ws.workspaceId));
    const replay = await deduct(ws.workspaceId, 4 * CREDIT, id);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(original.body);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');

    await evictDurableObject(ledgerStub(ws.workspaceId));
    const conflict = await deduct(ws.workspaceId, 5 * CREDIT, id);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');

    expect(await balanceRow(ws.workspaceId)).toBe(5 * CREDIT);
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.idempotency_key === id)).toHaveLength(1);
  });

  it('each workspace rebuilds its own balance, whatever the other workspaces hold', async () => {
    // Three workspaces with different balances, all loaded, all evicted, all reloaded.
    const funded = [];
    for (const credits of [2, 5, 11]) {
      const ws = await createWorkspace(`Isolation ${credits}`);
      const g = await adjust(ws.workspaceId, credits * CREDIT, unique('iso-grant'));
      expect(g.status, `grant to a workspace while others hold credits: ${JSON.stringify(g.body)}`).toBe(201);
      funded.push({ ws, credits });
    }
    for (const { ws } of funded) await evictDurableObject(ledgerStub(ws.workspaceId));
    for (const { ws, credits } of funded) {
      const check = await creditCheck(ws.workspaceId, 0);
      expect(check.status, `credit-check after eviction: ${JSON.stringify(check.body)}`).toBe(200);
      expect(check.body.balanceMicros).toBe(credits * CREDIT);
    }
  });

  it('deductions racing an eviction leave the balance equal to the ledger', async () => {
    const ws = await createWorkspace('Eviction race');
    const stub = ledgerStub(ws.workspaceId);
    await grant(ws.workspaceId, 5 * CREDIT);
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => deduct(ws.workspaceId, CREDIT)),
      evictDurableObject(stub).then(() => null),
      ...Array.from({ length: 4 }, () => deduct(ws.workspaceId, CREDIT)),
    ]);
    const answers = results.filter((r) => r !== null);
    expect(answers.filter((r) => r.status === 201)).toHaveLength(5);
    expect(answers.filter((r) => r.status === 402)).toHaveLength(3);
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    expect(await completedSum(ws.workspaceId)).toBe(0);
    expect((await creditCheck(ws.workspaceId, 0)).body).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
  });
});

describe('the hot path is answered from memory', () => {
  it('after warming, the object holds the balance in memory; after eviction the new instance starts empty', async () => {
    const ws = await createWorkspace('Warm cache');
    await grant(ws.workspaceId, 8 * CREDIT);
    await deduct(ws.workspaceId, CREDIT);

    expect(await cachedState(ws.workspaceId)).toEqual({ workspaceId: ws.workspaceId, balanceMicros: 7 * CREDIT });

    await evictDurableObject(ledgerStub(ws.workspaceId));
    expect(await cachedState(ws.workspaceId)).toBeNull();
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(7 * CREDIT);
    expect(await cachedState(ws.workspaceId)).toEqual({ workspaceId: ws.workspaceId, balanceMicros: 7 * CREDIT });
  });

  it('credit-check keeps answering the cached balance when the D1 row is changed behind its back; a rebuild then refuses the workspace until the row is restored', async () => {
    const ws = await createWorkspace('Tampered balance');
    const stub = ledgerStub(ws.workspaceId);
    await grant(ws.workspaceId, 5 * CREDIT);
    await deduct(ws.workspaceId, CREDIT);
    expect((await creditCheck(ws.workspaceId, 0)).body.balanceMicros).toBe(4 * CREDIT);
    const ledgerBefore = await ledgerRows(ws.workspaceId);

    await setBalanceRow(ws.workspaceId, 1_000 * CREDIT);
    try {
      // Warm: served from memory, so D1's (wrong) 1,000 credits are not seen.
      expect((await creditCheck(ws.workspaceId, 5 * CREDIT)).body).toEqual({ allowed: false, balanceMicros: 4 * CREDIT, reason: 'insufficient_credits' });
      expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(4 * CREDIT);

      // Cold: the rebuild finds balance (1,000 credits) != ledger (4 credits) and refuses to serve.
      await evictDurableObject(stub);
      const check = await creditCheck(ws.workspaceId, CREDIT);
      expect(check.status).toBe(500);
      expect(check.body.error.code).toBe('internal_error');
      expect(JSON.stringify(check.body)).not.toContain('invariant'); // no internals leak
      const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
      expect(credits.status).toBe(500);
      const refusedDeduction = await deduct(ws.workspaceId, CREDIT);
      expect(refusedDeduction.status).toBe(500);
      const refusedGrant = await adjust(ws.workspaceId, CREDIT, unique('frozen-grant'));
      expect(refusedGrant.status).toBe(500);
      // Frozen means frozen: nothing was recorded and the row was not "repaired" either way.
      expect(await ledgerRows(ws.workspaceId)).toEqual(ledgerBefore);
      expect(await balanceRow(ws.workspaceId)).toBe(1_000 * CREDIT);
    } finally {
      await setBalanceRow(ws.workspaceId, 4 * CREDIT);
    }

    // Restored: the next call rebuilds (no eviction needed, nothing was cached) and serves again.
    expect((await creditCheck(ws.workspaceId, 4 * CREDIT)).body).toEqual({ allowed: true, balanceMicros: 4 * CREDIT });
    const after = await deduct(ws.workspaceId, CREDIT);
    expect(after.status).toBe(201);
    expect(after.body.balanceAfterMicros).toBe(3 * CREDIT);
  });
});
