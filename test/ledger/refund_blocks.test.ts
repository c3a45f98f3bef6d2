// What a refund or dispute takes, given the deposit it is for (CONTRACT.md, "Credit blocks"): the
// deposit's own block first, then other paid blocks in burn-down order, never promotional credit;
// what cannot be taken is forgiven.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct, unique, type TestWorkspace } from '../helpers/fixtures';
import { expectInvariant, ledgerStub } from '../helpers/ledger_checks';

const CREDIT = 1_000_000;

/** A completed Checkout deposit of `micros`, through the ledger object as the webhook closes it. */
async function deposit(ws: TestWorkspace, micros: number) {
  const stub = ledgerStub(ws.workspaceId);
  const key = `checkout:cs_test_${unique('s').replace(/[^A-Za-z0-9]/g, '')}`;
  const opened = await stub.openDeposit({ workspaceId: ws.workspaceId, key, type: 'deposit', amountMicros: micros, description: 'Top-up' });
  expect(opened.ok).toBe(true);
  const closed = await stub.closeDeposit({ workspaceId: ws.workspaceId, key, outcome: 'completed' });
  expect(closed).toMatchObject({ ok: true, value: { status: 'completed' } });
  return closed.ok ? closed.value : (undefined as never);
}

const refund = (ws: TestWorkspace, micros: number, depositTransactionId: string, kind: 'refund' | 'dispute' = 'refund') =>
  ledgerStub(ws.workspaceId).postEntry({
    workspaceId: ws.workspaceId,
    id: `${kind}:${kind === 'refund' ? 're' : 'dp'}_${unique('x').replace(/[^A-Za-z0-9]/g, '')}`,
    kind,
    amountMicros: -micros,
    description: 'Refund of a top-up',
    depositTransactionId,
  });

const blocksOf = async (ws: TestWorkspace) => (await publicApi('GET', '/v1/billing/credit-blocks', ws.adminKey)).body.data as Array<{ id: string; category: string; source: string; transactionId: string; amountMicros: number; remainingMicros: number }>;
const fundingOf = async (ws: TestWorkspace, id: string) => (await publicApi('GET', `/v1/billing/transactions/${id}`, ws.adminKey)).body.funding;

describe('refunds and disputes take paid credit only', () => {
  it("a refund of a deposit whose block is spent takes other paid blocks, never promotional, and forgives the rest", async () => {
    const ws = await createWorkspace('Refund of a spent deposit');
    const first = await deposit(ws, 10 * CREDIT);
    const second = await deposit(ws, 5 * CREDIT);
    // Promotional credit spent last (priority 90): the deduction takes the first deposit's block.
    const promo = await internal('POST', '/internal/v1/grants', { id: unique('promo'), workspaceId: ws.workspaceId, amountMicros: 20 * CREDIT, description: 'Promo', priority: 90 });
    expect(promo.status).toBe(201);
    const spent = await deduct(ws.workspaceId, 10 * CREDIT);
    expect(spent.status).toBe(201);
    const blocks = await blocksOf(ws);
    expect(blocks.map((b) => [b.transactionId, b.remainingMicros])).toEqual([
      [second.id, 5 * CREDIT],
      [promo.body.transaction.id, 20 * CREDIT],
    ]);

    const res = await refund(ws, 8 * CREDIT, first.id);
    expect(res).toMatchObject({ ok: true, value: { type: 'refund', amountMicros: -5 * CREDIT, forgivenMicros: 3 * CREDIT, balanceAfterMicros: 20 * CREDIT } });
    expect(await fundingOf(ws, res.ok ? res.value.id : '')).toEqual([{ blockId: blocks[0]!.id, category: 'paid', amountMicros: 5 * CREDIT }]);
    expect((await blocksOf(ws)).map((b) => [b.category, b.remainingMicros])).toEqual([['promotional', 20 * CREDIT]]);
    await expectInvariant(ws.workspaceId);
  });

  it("takes the refunded deposit's own block first, before older paid blocks; a dispute likewise", async () => {
    const ws = await createWorkspace('Refund own block first');
    const older = await deposit(ws, 4 * CREDIT);
    const refunded = await deposit(ws, 3 * CREDIT);
    const disputed = await deposit(ws, 2 * CREDIT);
    const res = await refund(ws, 4 * CREDIT, refunded.id);
    expect(res).toMatchObject({ ok: true, value: { amountMicros: -4 * CREDIT, forgivenMicros: 0 } });
    const byTxn = new Map((await blocksOf(ws)).map((b) => [b.transactionId, b]));
    // 3 from its own block, then 1 from the oldest other paid block.
    expect(await fundingOf(ws, res.ok ? res.value.id : '')).toEqual([
      { blockId: expect.any(String), category: 'paid', amountMicros: 3 * CREDIT },
      { blockId: byTxn.get(older.id)!.id, category: 'paid', amountMicros: CREDIT },
    ]);
    expect(byTxn.get(older.id)!.remainingMicros).toBe(3 * CREDIT);
    expect(byTxn.has(refunded.id)).toBe(false);
    const withdrawn = await refund(ws, 2 * CREDIT, disputed.id, 'dispute');
    expect(await fundingOf(ws, withdrawn.ok ? withdrawn.value.id : '')).toEqual([{ blockId: byTxn.get(disputed.id)!.id, category: 'paid', amountMicros: 2 * CREDIT }]);
    // A reinstated dispute gives paid credit back as a new block.
    const reinstated = await ledgerStub(ws.workspaceId).postEntry({ workspaceId: ws.workspaceId, id: `dispute:dp_${unique('r').replace(/[^A-Za-z0-9]/g, '')}`, kind: 'dispute', amountMicros: 2 * CREDIT, description: 'Dispute won' });
    expect(reinstated.ok).toBe(true);
    const back = (await blocksOf(ws)).find((b) => reinstated.ok && b.transactionId === reinstated.value.id);
    expect(back).toMatchObject({ category: 'paid', amountMicros: 2 * CREDIT, remainingMicros: 2 * CREDIT });
  });

  it('with only promotional credit left, a refund takes nothing and forgives it all', async () => {
    const ws = await createWorkspace('Refund with promo only');
    const paid = await deposit(ws, 5 * CREDIT);
    await internal('POST', '/internal/v1/grants', { id: unique('promo'), workspaceId: ws.workspaceId, amountMicros: 9 * CREDIT, description: 'Promo', priority: 90 });
    expect((await deduct(ws.workspaceId, 5 * CREDIT)).status).toBe(201);
    const res = await refund(ws, 5 * CREDIT, paid.id);
    expect(res).toMatchObject({ ok: true, value: { amountMicros: 0, forgivenMicros: 5 * CREDIT, balanceAfterMicros: 9 * CREDIT } });
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body).toMatchObject({ balanceMicros: 9 * CREDIT, promotionalMicros: 9 * CREDIT, paidMicros: 0 });
  });
});
