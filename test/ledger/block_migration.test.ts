// How existing workspaces got their credit blocks: migration 0003 marks every workspace holding
// credit (blocks_ready = 0), and its ledger object replays its entries under the block rules on its
// next load (workers/ledger/rules/blocks/backfill_blocks.ts). In a file of its own: the migration's
// statement marks every workspace of the shard.
import { evictDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { createWorkspace, deduct, unique, type TestWorkspace } from '../helpers/fixtures';
import { expectInvariant, ledgerStub, projected, shardD1Of } from '../helpers/ledger_checks';

const CREDIT = 1_000_000;

const blocksOf = async (ws: TestWorkspace) => (await publicApi('GET', '/v1/billing/credit-blocks', ws.adminKey)).body.data as Array<{ id: string; category: string; source: string; transactionId: string; amountMicros: number; remainingMicros: number }>;
const fundingOf = async (ws: TestWorkspace, id: string) => (await publicApi('GET', `/v1/billing/transactions/${id}`, ws.adminKey)).body.funding;

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
    await d1.batch([...statements, d1.prepare('UPDATE balances SET balance_micros = ?1 WHERE workspace_id = ?2').bind(balance, ws.workspaceId)]);
    expect(balance).toBe(4_500_000);
    // Migration 0003's own statement marks it (every balance above zero) as waiting for its blocks.
    const migration = env.TEST_SHARD_MIGRATIONS.find((m) => m.name.startsWith('0003_credit_blocks'));
    const mark = migration?.queries.find((q) => q.includes('SET `blocks_ready` = 0'));
    expect(mark).toBeDefined();
    await d1.prepare(mark!).run();
    expect(await d1.prepare('SELECT blocks_ready AS r FROM balances WHERE workspace_id = ?').bind(ws.workspaceId).first()).toEqual({ r: 0 });

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
