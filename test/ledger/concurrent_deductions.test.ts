import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import { balanceRow, completedSum, CREDIT, creditCheck, ledgerRows } from './ledger_helpers';

describe('concurrent deductions through the HTTP path', () => {
  it('50 concurrent 1-credit deductions against 10 credits: exactly 10 succeed, 40 get 402, balance ends at 0', async () => {
    const ws = await createWorkspace('Concurrent deductions');
    await grant(ws.workspaceId, 10 * CREDIT);

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => deduct(ws.workspaceId, CREDIT, unique(`race-${i}`), `Race charge ${i}`)),
    );

    const succeeded = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 402);
    expect(succeeded).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) {
      expect(r.body.error.code).toBe('insufficient_credits');
      expect(typeof r.body.error.message).toBe('string');
      expect(typeof r.body.error.requestId).toBe('string');
    }

    // Every success is a completed usage entry of exactly -1 credit, and their balances-after are the
    // ten distinct values 9, 8, ..., 0 credits: no two deductions saw the same balance.
    for (const r of succeeded) {
      expect(r.body).toMatchObject({ type: 'usage', status: 'completed', amountMicros: -CREDIT });
      expect(r.body.id).toMatch(/^txn_/);
    }
    const balancesAfter = succeeded.map((r) => r.body.balanceAfterMicros as number).sort((a, b) => b - a);
    expect(balancesAfter).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((n) => n * CREDIT));
    expect(new Set(succeeded.map((r) => r.body.id)).size).toBe(10);

    // The public balance and the hot-path credit check agree: nothing left.
    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(credits.status).toBe(200);
    expect(credits.body.balanceMicros).toBe(0);
    const checkZero = await creditCheck(ws.workspaceId, 0);
    expect(checkZero.status).toBe(200);
    expect(checkZero.body).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
    const checkOne = await creditCheck(ws.workspaceId, 1);
    expect(checkOne.body).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });

    // D1 holds exactly the grant and the ten usage entries; they sum to the balance row (0).
    const rows = await ledgerRows(ws.workspaceId);
    const usage = rows.filter((r) => r.type === 'usage');
    expect(usage).toHaveLength(10);
    expect(rows.filter((r) => r.type !== 'usage')).toHaveLength(1);
    expect(usage.every((r) => r.amount_micros === -CREDIT && r.status === 'completed')).toBe(true);
    expect(usage.map((r) => r.id).sort()).toEqual(succeeded.map((r) => r.body.id).sort());
    expect(await completedSum(ws.workspaceId)).toBe(0);
    expect(await balanceRow(ws.workspaceId)).toBe(0);

    // In ledger order the balance-after column walks down one credit at a time.
    expect(usage.map((r) => r.balance_after_micros)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((n) => n * CREDIT));

    // The history endpoint reports the same ten usage entries.
    const history = await publicApi('GET', '/v1/billing/credits/history?type=usage', ws.adminKey);
    expect(history.status).toBe(200);
    expect(history.body.data).toHaveLength(10);
  });

  it('mixed concurrent amounts never overdraw: the successes sum to at most the balance', async () => {
    const ws = await createWorkspace('Concurrent mixed amounts');
    await grant(ws.workspaceId, 10 * CREDIT);

    // 3 + 3 + 3 + 3 + 2 + 2 + ... : more asked than there is; whichever order wins, no overdraft.
    const amounts = [3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1].map((n) => n * CREDIT);
    const responses = await Promise.all(amounts.map((a, i) => deduct(ws.workspaceId, a, unique(`mixed-${i}`))));
    for (const r of responses) expect([201, 402]).toContain(r.status);

    const taken = responses.filter((r) => r.status === 201).reduce((sum, r) => sum - (r.body.amountMicros as number), 0);
    const remaining = 10 * CREDIT - taken;
    expect(remaining).toBeGreaterThanOrEqual(0);
    expect(await balanceRow(ws.workspaceId)).toBe(remaining);
    expect(await completedSum(ws.workspaceId)).toBe(remaining);
    // Every refused deduction really could not be covered when it was decided: the smallest
    // refused amount exceeds what was left at the end (balances only go down here).
    const refusedAmounts = amounts.filter((_, i) => responses[i]!.status === 402);
    expect(refusedAmounts.length).toBeGreaterThan(0); // 24 credits asked of 10
    expect(Math.min(...refusedAmounts)).toBeGreaterThan(remaining);
    const check = await creditCheck(ws.workspaceId, 0);
    expect(check.body.balanceMicros).toBe(remaining);
  });
});

describe('a refused deduction (402) records nothing', () => {
  it('leaves the ledger, the balance and the id untouched, so the same id succeeds after a grant', async () => {
    const ws = await createWorkspace('402 records nothing');
    await grant(ws.workspaceId, 2 * CREDIT);
    const before = await ledgerRows(ws.workspaceId);

    const id = unique('too-big');
    const refused = await deduct(ws.workspaceId, 3 * CREDIT, id, 'Too big');
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe('insufficient_credits');

    expect(await ledgerRows(ws.workspaceId)).toEqual(before);
    expect(await balanceRow(ws.workspaceId)).toBe(2 * CREDIT);
    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(credits.body.balanceMicros).toBe(2 * CREDIT);
    const history = await publicApi('GET', '/v1/billing/credits/history', ws.adminKey);
    expect(history.body.data.map((t: { id: string }) => t.id)).toEqual(before.map((r) => r.id).reverse());

    // The id was not consumed by the refusal: after a grant the very same request goes through.
    await grant(ws.workspaceId, 5 * CREDIT);
    const retried = await deduct(ws.workspaceId, 3 * CREDIT, id, 'Too big');
    expect(retried.status).toBe(201);
    expect(retried.body.balanceAfterMicros).toBe(4 * CREDIT);
    expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
  });

  it('a deduction of exactly the balance succeeds and leaves 0; one more micro is refused', async () => {
    const ws = await createWorkspace('Exact balance');
    await grant(ws.workspaceId, 1_234_567);
    const exact = await deduct(ws.workspaceId, 1_234_567);
    expect(exact.status).toBe(201);
    expect(exact.body.balanceAfterMicros).toBe(0);
    const oneMore = await deduct(ws.workspaceId, 1);
    expect(oneMore.status).toBe(402);
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.type === 'usage')).toHaveLength(1);
  });
});
