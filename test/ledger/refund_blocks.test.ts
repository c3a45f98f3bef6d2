// What a refund or dispute takes, given the deposit it is for (CONTRACT.md, "Credit blocks"): the
// deposit's own block first, then other paid blocks in burn-down order, never promotional credit;
// what cannot be taken is forgiven. And how existing workspaces got their blocks (migration 0003 and
// the ledger object's replay, workers/ledger/blocks/backfill_blocks.ts).
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct, unique, type TestWorkspace } from '../helpers/fixtures';
import { expectInvariant, ledgerStub, projected, shardD1Of } from '../helpers/ledger_checks';

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

describe('existing workspaces get their blocks (migration 0003, then the ledger object on its next load)', () => {
  it('a workspace with deposits, adjustments, refunds and usage from before blocks: blocks whose remainders add up to the balance', async () => {
    const ws = await createWorkspace('Migrated workspace');
    const d1 = shardD1Of(ws.workspaceId);
    await ledgerStub(ws.workspaceId).projected();
    await evictDurableObject(ledgerStub(ws.workspaceId));
    // The ledger as it stood before credit blocks: entries only, no blocks, blocks_ready = 0 (what
    // migration 0003 sets for every balance above zero).
    const t0 = Date.now() - 10 * 86_400_000;
    const history: Array<[string, string, number]> = [
      ['deposit', 'checkout:cs_old_1', 10 * CREDIT],
      ['adjustment', unique('adj'), 5 * CREDIT], // promotional
      ['usage', 'settle:2026-01-01T00:00:00.000Z', -3 * CREDIT], // promotional first: 2 left
      ['refund', 'refund:re_old_1', -4 * CREDIT], // paid only: 6 left of the deposit
      ['usage', unique('deduct'), -6 * CREDIT], // promotional 2, then paid 4: 2 left of the deposit
      ['auto_recharge', 'auto:old_1', 2 * CREDIT],
      ['adjustment', unique('adj'), 1 * CREDIT],
      ['adjustment', unique('adj'), -500_000], // promotional first: 0.5 left of it
    ];
    let balance = 0;
    const ids: string[] = [];
    const statements = history.map(([type, key, amount], i) => {
      balance += amount;
      const id = `txn_old_${i}_${unique('m').replace(/[^A-Za-z0-9]/g, '')}`;
      ids.push(id);
      return d1
        .prepare(
          `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros, forgiven_micros,
                                     balance_after_micros, created_at_ms, settled_at_ms)
           VALUES (?1, ?2, ?3, 'old', ?4, 'completed', 'Before blocks', ?5, 0, ?6, ?7, ?7)`,
        )
        .bind(id, ws.workspaceId, key, type, amount, balance, t0 + i * 60_000);
    });
    await d1.batch([...statements, d1.prepare('UPDATE balances SET balance_micros = ?1, blocks_ready = 0 WHERE workspace_id = ?2').bind(balance, ws.workspaceId)]);
    expect(balance).toBe(4_500_000);

    const blocks = await blocksOf(ws);
    expect(blocks.map((b) => [b.category, b.source, b.transactionId, b.amountMicros, b.remainingMicros])).toEqual([
      ['promotional', 'adjustment', ids[6], 500_000, 500_000],
      ['paid', 'deposit', ids[0], 2 * CREDIT, 2 * CREDIT],
      ['paid', 'auto_recharge', ids[5], 2 * CREDIT, 2 * CREDIT],
    ]);
    expect(blocks.reduce((s, b) => s + b.remainingMicros, 0)).toBe(balance);
    const row = await d1.prepare('SELECT blocks_ready AS r, blocks_sum_micros AS s FROM balances WHERE workspace_id = ?').bind(ws.workspaceId).first<{ r: number; s: number }>();
    expect(row).toEqual({ r: 2, s: balance });

    // From then on it is like any other: a deduction funded in burn-down order, a reload checks it.
    const res = await deduct(ws.workspaceId, CREDIT);
    expect(res.status).toBe(201);
    expect(await fundingOf(ws, res.body.id)).toEqual([
      { blockId: blocks[0]!.id, category: 'promotional', amountMicros: 500_000 },
      { blockId: blocks[1]!.id, category: 'paid', amountMicros: 500_000 },
    ]);
    await projected(ws.workspaceId);
    await evictDurableObject(ledgerStub(ws.workspaceId));
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body).toMatchObject({ balanceMicros: 3_500_000, paidMicros: 3_500_000, promotionalMicros: 0 });
    await expectInvariant(ws.workspaceId);
  });
});
