// balances.ledger_sum_micros is kept by triggers on `transactions` (shard migration 0002), never by
// the application: the ledger object compares it with balance_micros on every load, in O(1) where a
// SUM over the workspace's entries grew with every entry. These tests hold the triggers to the sum.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createWorkspace, deduct, grant } from '../helpers/fixtures';
import { ledgerStub, shardD1Of } from '../helpers/ledger_checks';
import { insertBlockFor } from './ledger_helpers';
import { topup } from '../stripe/stripe_helpers';

const CREDIT = 1_000_000;

async function sums(workspaceId: string) {
  return shardD1Of(workspaceId)
    .prepare(
      `SELECT b.balance_micros AS balance, b.ledger_sum_micros AS kept,
              (SELECT COALESCE(SUM(amount_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS real
         FROM balances b WHERE b.workspace_id = ?`,
    )
    .bind(workspaceId)
    .first<{ balance: number; kept: number; real: number }>();
}

describe('the ledger sum kept by triggers', () => {
  it('follows completed entries: inserted completed, pending then completed, pending then failed', async () => {
    const ws = await createWorkspace('Kept ledger sum');
    expect(await sums(ws.workspaceId)).toEqual({ balance: 0, kept: 0, real: 0 });
    await grant(ws.workspaceId, 50 * CREDIT);
    await deduct(ws.workspaceId, 7 * CREDIT);
    expect(await sums(ws.workspaceId)).toEqual({ balance: 43 * CREDIT, kept: 43 * CREDIT, real: 43 * CREDIT });

    // A pending deposit counts only once it completes; a failed one never.
    const paid = await topup(ws.adminKey, 2000);
    const unpaid = await topup(ws.adminKey, 3000);
    expect(paid.status).toBe(201);
    expect(unpaid.status).toBe(201);
    expect((await sums(ws.workspaceId))!.kept).toBe(43 * CREDIT);
    const stub = ledgerStub(ws.workspaceId);
    expect((await stub.closeDeposit({ workspaceId: ws.workspaceId, key: `checkout:${paid.body.sessionId}`, outcome: 'completed' })).ok).toBe(true);
    expect((await stub.closeDeposit({ workspaceId: ws.workspaceId, key: `checkout:${unpaid.body.sessionId}`, outcome: 'failed' })).ok).toBe(true);
    expect(await sums(ws.workspaceId)).toEqual({ balance: 63 * CREDIT, kept: 63 * CREDIT, real: 63 * CREDIT });
  });

  it("follows an entry written behind the object's back (the balance row does not: the load's check sees the difference)", async () => {
    const ws = await createWorkspace('Kept sum, tampered');
    await grant(ws.workspaceId, 10 * CREDIT);
    const shard = shardD1Of(ws.workspaceId);
    await shard
      .prepare(
        `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros, balance_after_micros, created_at_ms, settled_at_ms)
         VALUES ('txn_behind', ?1, 'behind', 'x', 'adjustment', 'completed', 'behind', ?2, ?2, ?3, ?3)`,
      )
      .bind(ws.workspaceId, 5 * CREDIT, Date.now())
      .run();
    expect(await sums(ws.workspaceId)).toMatchObject({ balance: 10 * CREDIT, kept: 15 * CREDIT, real: 15 * CREDIT });
    // Repaired by hand, as an operator would: the balance row brought to the ledger, and the credit
    // made a block (every credit is one: the load checks the blocks against the balance too).
    await shard.prepare('UPDATE balances SET balance_micros = balance_micros + ? WHERE workspace_id = ?').bind(5 * CREDIT, ws.workspaceId).run();
    await insertBlockFor(ws.workspaceId, 'txn_behind', 5 * CREDIT).run();
    expect(await sums(ws.workspaceId)).toEqual({ balance: 15 * CREDIT, kept: 15 * CREDIT, real: 15 * CREDIT });
  });

  it("the migration's backfill sets the sum of a workspace from before it", async () => {
    const ws = await createWorkspace('Kept sum backfill');
    await grant(ws.workspaceId, 12 * CREDIT);
    await deduct(ws.workspaceId, 2 * CREDIT);
    const shard = shardD1Of(ws.workspaceId);
    // As before the migration: the column at its default.
    await shard.prepare('UPDATE balances SET ledger_sum_micros = 0 WHERE workspace_id = ?').bind(ws.workspaceId).run();
    const migration = env.TEST_SHARD_MIGRATIONS.find((m) => m.name.startsWith('0002_ledger_sum'));
    const backfill = migration?.queries.find((q) => q.includes('UPDATE `balances` SET `ledger_sum_micros` ='));
    expect(backfill).toBeDefined();
    await shard.prepare(backfill!).run();
    expect(await sums(ws.workspaceId)).toEqual({ balance: 10 * CREDIT, kept: 10 * CREDIT, real: 10 * CREDIT });
  });
});
