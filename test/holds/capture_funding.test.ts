// Holds meet credit blocks (CONTRACT.md, "Credit blocks" and "Holds and spend limits"): a capture is
// a debit like a deduction, so the blocks that pay for it are recorded in burn-down order, to the
// micro, and an excess beyond the balance is forgiven, not funded; CreditSummary.heldMicros is what
// the active holds reserve, and balanceMicros the blocks less it.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, unique, type TestWorkspace } from '../helpers/fixtures';
import { balanceRow, completedSum } from '../ledger/ledger_helpers';
import { captureHold, createHold, CREDIT, credits, releaseHold } from './holds_helpers';

async function grantBlock(ws: TestWorkspace, micros: number, spec: { category?: 'paid' | 'promotional'; priority?: number }) {
  const id = unique('g');
  const res = await internal('POST', '/internal/v1/grants', { id, workspaceId: ws.workspaceId, amountMicros: micros, description: `Grant ${id}`, ...spec });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.block as { id: string; remainingMicros: number };
}

const fundingOf = async (ws: TestWorkspace, transactionId: string) => {
  const res = await publicApi('GET', `/v1/billing/transactions/${transactionId}`, ws.adminKey);
  expect(res.status).toBe(200);
  return res.body.funding as Array<{ blockId: string; category: string; amountMicros: number }>;
};

const remainingOf = async (ws: TestWorkspace) => {
  const res = await publicApi('GET', '/v1/billing/credit-blocks', ws.adminKey);
  expect(res.status).toBe(200);
  return new Map((res.body.data as Array<{ id: string; remainingMicros: number }>).map((b) => [b.id, b.remainingMicros]));
};

describe('captures funded from credit blocks', () => {
  it('a capture spanning two blocks of different priority is funded in burn-down order, exact to the micro; heldMicros is the active holds', async () => {
    const ws = await createWorkspace('Capture funding');
    // Made paid-first, so that only priority puts the promotional block (priority 10) first.
    const late = await grantBlock(ws, 5 * CREDIT + 3, { category: 'paid', priority: 60 });
    const first = await grantBlock(ws, 1 * CREDIT + 7, { priority: 10 });
    const total = 6 * CREDIT + 10;

    const big = await createHold({ workspaceId: ws.workspaceId, amountMicros: 3 * CREDIT });
    const small = await createHold({ workspaceId: ws.workspaceId, amountMicros: 500_001 });
    expect(big.status).toBe(201);
    expect(small.status).toBe(201);
    expect((await credits(ws.adminKey)).body).toMatchObject({ heldMicros: 3 * CREDIT + 500_001, balanceMicros: total - 3 * CREDIT - 500_001, paidMicros: 5 * CREDIT + 3, promotionalMicros: CREDIT + 7 });

    // 2,000,005 micros: all of the priority-10 block, then 999,998 of the priority-60 one.
    const captured = await captureHold(big.body.id, 2 * CREDIT + 5);
    expect(captured.status, JSON.stringify(captured.body)).toBe(200);
    expect(captured.body.transaction).toMatchObject({ type: 'usage', amountMicros: -(2 * CREDIT + 5), forgivenMicros: 0 });
    expect(await fundingOf(ws, captured.body.transaction.id)).toEqual([
      { blockId: first.id, category: 'promotional', amountMicros: CREDIT + 7 },
      { blockId: late.id, category: 'paid', amountMicros: CREDIT - 2 },
    ]);
    const remaining = await remainingOf(ws);
    expect(remaining.get(first.id) ?? 0).toBe(0);
    expect(remaining.get(late.id)).toBe(4 * CREDIT + 5);

    // Only the small hold is still active.
    const afterCapture = total - (2 * CREDIT + 5);
    expect((await credits(ws.adminKey)).body).toMatchObject({ heldMicros: 500_001, balanceMicros: afterCapture - 500_001, paidMicros: afterCapture, promotionalMicros: 0 });

    // A capture beyond the balance: what the balance covers is taken and funded, the rest forgiven (not funded).
    const over = await captureHold(small.body.id, afterCapture + 777);
    expect(over.status, JSON.stringify(over.body)).toBe(200);
    expect(over.body.transaction).toMatchObject({ amountMicros: -afterCapture, forgivenMicros: 777 });
    expect(await fundingOf(ws, over.body.transaction.id)).toEqual([{ blockId: late.id, category: 'paid', amountMicros: afterCapture }]);
    expect((await credits(ws.adminKey)).body).toMatchObject({ heldMicros: 0, balanceMicros: 0, paidMicros: 0, promotionalMicros: 0 });
    expect(await balanceRow(ws.workspaceId)).toBe(0);
    expect(await completedSum(ws.workspaceId)).toBe(0);
  });

  it('a released hold frees its reservation and funds nothing', async () => {
    const ws = await createWorkspace('Release funding');
    await grantBlock(ws, 2 * CREDIT, { priority: 30 });
    const hold = await createHold({ workspaceId: ws.workspaceId, amountMicros: 1_500_000 });
    expect(hold.status).toBe(201);
    expect((await credits(ws.adminKey)).body).toMatchObject({ heldMicros: 1_500_000, balanceMicros: 500_000 });
    expect((await releaseHold(hold.body.id)).status).toBe(200);
    expect((await credits(ws.adminKey)).body).toMatchObject({ heldMicros: 0, balanceMicros: 2 * CREDIT, promotionalMicros: 2 * CREDIT });
  });
});
