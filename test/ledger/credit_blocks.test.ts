// Credit blocks (CONTRACT.md, "Credit blocks"): every credit is a block, every debit is taken from
// the blocks in burn-down order (lower priority; then soonest expiry, never-expiring last; then
// promotional before paid; then oldest) and says which blocks paid for it, to the micro. Grants
// through the internal API: defaults, bad input, idempotency; voids; the public list's tenancy.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct, unique, type TestWorkspace } from '../helpers/fixtures';
import { ledgerStub, projected, shardD1Of } from '../helpers/ledger_checks';
import { HOUR_MS, hourOf } from '../helpers/settlement';
import { chargeEvent, recordUsage } from '../settlement/settlement_helpers';

const CREDIT = 1_000_000;
const DAY_MS = 24 * HOUR_MS;

interface GrantSpec {
  micros: number;
  category?: 'paid' | 'promotional';
  priority?: number;
  expiresAtMs?: number;
}

async function grantBlock(ws: TestWorkspace, spec: GrantSpec, id = unique('g')) {
  const body = {
    id,
    workspaceId: ws.workspaceId,
    amountMicros: spec.micros,
    description: `Grant ${id}`,
    ...(spec.category ? { category: spec.category } : {}),
    ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
    ...(spec.expiresAtMs !== undefined ? { expiresAt: new Date(spec.expiresAtMs).toISOString() } : {}),
  };
  const res = await internal('POST', '/internal/v1/grants', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.block as { id: string; category: string; remainingMicros: number; transactionId: string };
}

const blocksOf = async (ws: TestWorkspace) => {
  const res = await publicApi('GET', '/v1/billing/credit-blocks', ws.adminKey);
  expect(res.status).toBe(200);
  return res.body.data as Array<{ id: string; category: string; remainingMicros: number; amountMicros: number; priority: number; expiresAt: string | null; source: string }>;
};

const fundingOf = async (ws: TestWorkspace, transactionId: string) => {
  const res = await publicApi('GET', `/v1/billing/transactions/${transactionId}`, ws.adminKey);
  expect(res.status).toBe(200);
  return res.body.funding as Array<{ blockId: string; category: string; amountMicros: number }>;
};

/**
 * Seven blocks that only the four tie-breakers tell apart, made in this order (oldest first):
 * A paid/50/never, B promo/50/never, C promo/50/+10d, D promo/50/+5d, E paid/50/+5d, F promo/20/never,
 * G promo/50/never (newer than B). Burn-down order: F (priority), D (soonest expiry, promotional
 * before E), E, C, B (never; promotional; older than G), G, A (paid last).
 */
async function sevenBlocks(ws: TestWorkspace) {
  const now = Date.now();
  const A = await grantBlock(ws, { micros: 7 * CREDIT + 7, category: 'paid' });
  const B = await grantBlock(ws, { micros: 5 * CREDIT + 5 });
  const C = await grantBlock(ws, { micros: 4 * CREDIT + 4, expiresAtMs: now + 10 * DAY_MS });
  const D = await grantBlock(ws, { micros: 2 * CREDIT + 2, expiresAtMs: now + 5 * DAY_MS });
  const E = await grantBlock(ws, { micros: 3 * CREDIT + 3, category: 'paid', expiresAtMs: now + 5 * DAY_MS });
  const F = await grantBlock(ws, { micros: 1 * CREDIT + 1, priority: 20 });
  const G = await grantBlock(ws, { micros: 6 * CREDIT + 6 });
  return { A, B, C, D, E, F, G };
}

describe('burn-down order', () => {
  it('a deduction spanning several blocks takes them in the order of all four tie-breakers, funding exact to the micro', async () => {
    const ws = await createWorkspace('Burn-down deduction');
    const { A, B, C, D, E, F, G } = await sevenBlocks(ws);
    expect((await blocksOf(ws)).map((b) => b.id)).toEqual([F, D, E, C, B, G, A].map((b) => b.id));

    // F + D + E + C in full, and 1,234 micros of B.
    const taken = F.remainingMicros + D.remainingMicros + E.remainingMicros + C.remainingMicros + 1_234;
    const res = await deduct(ws.workspaceId, taken);
    expect(res.status).toBe(201);
    expect(await fundingOf(ws, res.body.id)).toEqual([
      { blockId: F.id, category: 'promotional', amountMicros: 1 * CREDIT + 1 },
      { blockId: D.id, category: 'promotional', amountMicros: 2 * CREDIT + 2 },
      { blockId: E.id, category: 'paid', amountMicros: 3 * CREDIT + 3 },
      { blockId: C.id, category: 'promotional', amountMicros: 4 * CREDIT + 4 },
      { blockId: B.id, category: 'promotional', amountMicros: 1_234 },
    ]);
    const left = await blocksOf(ws);
    expect(left.map((b) => [b.id, b.remainingMicros])).toEqual([
      [B.id, 5 * CREDIT + 5 - 1_234],
      [G.id, 6 * CREDIT + 6],
      [A.id, 7 * CREDIT + 7],
    ]);
    const summary = (await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body;
    expect(summary).toMatchObject({ paidMicros: 7 * CREDIT + 7, promotionalMicros: 11 * CREDIT + 11 - 1_234, heldMicros: 0, nextExpiry: null });
    expect(summary.paidMicros + summary.promotionalMicros).toBe(summary.balanceMicros);
  });

  it('an hour of settled usage spanning several blocks is funded in the same order, exact to the micro', async () => {
    const ws = await createWorkspace('Burn-down settlement');
    const { A, B, C, D, E, F, G } = await sevenBlocks(ws);
    const hourMs = hourOf(Date.now()) - HOUR_MS;
    const charged = F.remainingMicros + D.remainingMicros + E.remainingMicros + C.remainingMicros + B.remainingMicros + 77;
    await recordUsage([chargeEvent(ws.workspaceId, hourMs + 5 * 60_000, charged)]);
    const settled = await ledgerStub(ws.workspaceId).settle(ws.workspaceId, hourOf(Date.now()));
    expect(settled).toMatchObject({ ok: true, value: { settledHours: 1, chargedMicros: charged, forgivenMicros: 0 } });
    const usage = await shardD1Of(ws.workspaceId)
      .prepare(`SELECT id FROM transactions WHERE workspace_id = ? AND type = 'usage' AND status = 'completed'`)
      .bind(ws.workspaceId)
      .first<{ id: string }>();
    expect(await fundingOf(ws, usage!.id)).toEqual([
      { blockId: F.id, category: 'promotional', amountMicros: 1 * CREDIT + 1 },
      { blockId: D.id, category: 'promotional', amountMicros: 2 * CREDIT + 2 },
      { blockId: E.id, category: 'paid', amountMicros: 3 * CREDIT + 3 },
      { blockId: C.id, category: 'promotional', amountMicros: 4 * CREDIT + 4 },
      { blockId: B.id, category: 'promotional', amountMicros: 5 * CREDIT + 5 },
      { blockId: G.id, category: 'promotional', amountMicros: 77 },
    ]);
    expect((await blocksOf(ws)).map((b) => [b.id, b.remainingMicros])).toEqual([
      [G.id, 6 * CREDIT + 6 - 77],
      [A.id, 7 * CREDIT + 7],
    ]);
  });

  it('usage beyond the blocks is funded by all of them and the rest forgiven: funding adds up to what was taken', async () => {
    const ws = await createWorkspace('Burn-down forgiven');
    const a = await grantBlock(ws, { micros: 300 });
    const b = await grantBlock(ws, { micros: 200, category: 'paid' });
    const hourMs = hourOf(Date.now()) - HOUR_MS;
    await recordUsage([chargeEvent(ws.workspaceId, hourMs + 60_000, 1_000)]);
    expect(await ledgerStub(ws.workspaceId).settle(ws.workspaceId, hourOf(Date.now()))).toMatchObject({ ok: true, value: { chargedMicros: 500, forgivenMicros: 500 } });
    const usage = await shardD1Of(ws.workspaceId).prepare(`SELECT id FROM transactions WHERE workspace_id = ? AND type = 'usage'`).bind(ws.workspaceId).first<{ id: string }>();
    expect(await fundingOf(ws, usage!.id)).toEqual([
      { blockId: a.id, category: 'promotional', amountMicros: 300 },
      { blockId: b.id, category: 'paid', amountMicros: 200 },
    ]);
    expect(await blocksOf(ws)).toEqual([]);
  });

  it('a positive adjustment is a promotional block (priority 50, never expires); a negative one is funded in burn-down order', async () => {
    const ws = await createWorkspace('Adjustment blocks');
    const paid = await grantBlock(ws, { micros: 2 * CREDIT, category: 'paid' });
    const adj = await internal('POST', '/internal/v1/adjustments', { id: unique('adj'), workspaceId: ws.workspaceId, amountMicros: 3 * CREDIT, description: 'Goodwill' });
    expect(adj.status).toBe(201);
    const blocks = await blocksOf(ws);
    expect(blocks[0]).toMatchObject({ category: 'promotional', source: 'adjustment', priority: 50, expiresAt: null, amountMicros: 3 * CREDIT, transactionId: adj.body.id });
    const correction = await internal('POST', '/internal/v1/adjustments', { id: unique('adj'), workspaceId: ws.workspaceId, amountMicros: -4 * CREDIT, description: 'Correction' });
    expect(correction.status).toBe(201);
    await projected(ws.workspaceId);
    expect(await fundingOf(ws, correction.body.id)).toEqual([
      { blockId: blocks[0]!.id, category: 'promotional', amountMicros: 3 * CREDIT },
      { blockId: paid.id, category: 'paid', amountMicros: CREDIT },
    ]);
  });
});

describe('POST /internal/v1/grants', () => {
  it('defaults: promotional, priority 50, never expires; answers the block and the grant transaction', async () => {
    const ws = await createWorkspace('Grant defaults');
    const id = unique('welcome');
    const res = await internal('POST', '/internal/v1/grants', { id, workspaceId: ws.workspaceId, amountMicros: 20 * CREDIT, description: 'Welcome credits' });
    expect(res.status).toBe(201);
    expect(res.body.block).toMatchObject({ category: 'promotional', source: 'grant', priority: 50, expiresAt: null, amountMicros: 20 * CREDIT, remainingMicros: 20 * CREDIT });
    expect(res.body.transaction).toMatchObject({ type: 'grant', status: 'completed', amountMicros: 20 * CREDIT, balanceAfterMicros: 20 * CREDIT, description: 'Welcome credits' });
    expect(res.body.block.transactionId).toBe(res.body.transaction.id);
    const history = (await publicApi('GET', '/v1/billing/credits/history?type=grant', ws.adminKey)).body.data;
    expect(history.map((t: { id: string }) => t.id)).toEqual([res.body.transaction.id]);
  });

  it('bad input is a 400 naming the field, and nothing is recorded', async () => {
    const ws = await createWorkspace('Grant bad input');
    const base = { workspaceId: ws.workspaceId, amountMicros: CREDIT, description: 'Bad' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ amountMicros: 0 }, 'amountMicros'],
      [{ amountMicros: -5 }, 'amountMicros'],
      [{ amountMicros: 1.5 }, 'amountMicros'],
      [{ priority: 101 }, 'priority'],
      [{ priority: -1 }, 'priority'],
      [{ category: 'gold' }, 'category'],
      [{ expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'],
      [{ expiresAt: 'tomorrow' }, 'expiresAt'],
    ];
    for (const [patch, field] of cases) {
      const res = await internal('POST', '/internal/v1/grants', { id: unique('bad'), ...base, ...patch });
      expect(res.status, JSON.stringify(patch)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toContain(field);
    }
    expect(await blocksOf(ws)).toEqual([]);
    expect((await publicApi('GET', '/v1/billing/credits/history', ws.adminKey)).body.data).toEqual([]);
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(0);
  });

  it('is idempotent by id: the same body answers the original (once credited), another body is a 409; an id of another workspace is a 409', async () => {
    const ws = await createWorkspace('Grant idempotency');
    const other = await createWorkspace('Grant idempotency other');
    const body = { id: unique('promo'), workspaceId: ws.workspaceId, amountMicros: 5 * CREDIT, description: 'Promo', priority: 10, expiresAt: new Date(Date.now() + DAY_MS).toISOString() };
    const first = await internal('POST', '/internal/v1/grants', body);
    expect(first.status).toBe(201);
    const answers = await Promise.all([1, 2, 3].map(() => internal('POST', '/internal/v1/grants', body)));
    for (const again of answers) {
      expect(again.status).toBe(201);
      expect(again.body.transaction).toEqual(first.body.transaction);
      expect(again.body.block.id).toBe(first.body.block.id);
    }
    const conflict = await internal('POST', '/internal/v1/grants', { ...body, amountMicros: 6 * CREDIT });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    const elsewhere = await internal('POST', '/internal/v1/grants', { ...body, workspaceId: other.workspaceId });
    expect(elsewhere.status).toBe(409);
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(5 * CREDIT);
    expect(await blocksOf(ws)).toHaveLength(1);
    expect(await blocksOf(other)).toEqual([]);
  });
});

describe('POST /internal/v1/grants/:id/void', () => {
  it('removes what is left at once; voiding twice records one expiration', async () => {
    const ws = await createWorkspace('Void twice');
    const paid = await grantBlock(ws, { micros: 4 * CREDIT, category: 'paid' });
    const id = unique('voidable');
    await grantBlock(ws, { micros: 10 * CREDIT }, id);
    expect((await deduct(ws.workspaceId, 3 * CREDIT)).status).toBe(201); // from the promotional grant
    const first = await internal('POST', `/internal/v1/grants/${id}/void`);
    expect(first.status).toBe(200);
    expect(first.body.transaction).toMatchObject({ type: 'expiration', status: 'completed', amountMicros: -7 * CREDIT, balanceAfterMicros: 4 * CREDIT });
    expect(first.body.block).toMatchObject({ remainingMicros: 0, amountMicros: 10 * CREDIT });
    const second = await internal('POST', `/internal/v1/grants/${id}/void`);
    expect(second.status).toBe(200);
    expect(second.body.transaction).toEqual(first.body.transaction);
    const expirations = (await publicApi('GET', '/v1/billing/credits/history?type=expiration', ws.adminKey)).body.data;
    expect(expirations).toHaveLength(1);
    expect(await fundingOf(ws, first.body.transaction.id)).toEqual([{ blockId: first.body.block.id, category: 'promotional', amountMicros: 7 * CREDIT }]);
    expect((await blocksOf(ws)).map((b) => b.id)).toEqual([paid.id]);
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(4 * CREDIT);
    // The CSV carries grants (credits) and the expiration (a debit).
    const csv = (await publicApi('GET', '/v1/billing/credits/history.csv', ws.adminKey)).body as string;
    expect(csv).toContain(`${first.body.transaction.id},`);
    expect(csv).toMatch(/,expiration,completed,[^\n]*,-7\.000000,4\.000000,/);
    expect(csv).toMatch(/,grant,completed,[^\n]*,10\.000000,/);
  });

  it('an unknown grant is a 404', async () => {
    const res = await internal('POST', `/internal/v1/grants/${unique('nope')}/void`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('GET /v1/billing/credit-blocks', () => {
  it("shows the caller's workspace's blocks only", async () => {
    const mine = await createWorkspace('Blocks mine');
    const theirs = await createWorkspace('Blocks theirs');
    const block = await grantBlock(theirs, { micros: CREDIT });
    expect(await blocksOf(mine)).toEqual([]);
    expect((await blocksOf(theirs)).map((b) => b.id)).toEqual([block.id]);
    // The grant transaction of another workspace is not visible either.
    const res = await publicApi('GET', `/v1/billing/transactions/${block.transactionId}`, mine.adminKey);
    expect(res.status).toBe(404);
  });
});
