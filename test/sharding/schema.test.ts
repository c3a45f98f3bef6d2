// Every ledger shard has exactly one schema, and the directory and the shards share no table.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { allShards } from '../../workers/storage/databases';

/** A database's schema: every table, index and trigger with its SQL (D1's own tables left out). */
async function schemaOf(d1: D1Database) {
  const { results } = await d1
    .prepare("SELECT type, name, tbl_name AS tableName, sql FROM sqlite_master WHERE name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all<{ type: string; name: string; tableName: string; sql: string | null }>();
  return results;
}

const LEDGER_TABLES = ['auto_recharge_actions', 'balances', 'credit_blocks', 'credit_funding', 'ledger_workspaces', 'notification_emails', 'platform_events', 'resource_intervals', 'resources', 'settlement_lines', 'spend_limits', 'stripe_disputes', 'transactions', 'usage_rollups'];
const DIRECTORY_TABLES = ['api_keys', 'checkout_sessions', 'dashboard_links', 'dashboard_sessions', 'grant_owners', 'hold_owners', 'idempotency_records', 'members', 'price_lists', 'reconciliation_runs', 'resource_owners', 'stripe_customers', 'stripe_events', 'workspaces'];
const tablesOf = (schema: Awaited<ReturnType<typeof schemaOf>>) => schema.filter((o) => o.type === 'table' && o.name !== 'd1_migrations').map((o) => o.name).sort();

describe('the databases', () => {
  it('every shard has the same schema: the ledger tables, their indexes, the append-only triggers and those keeping the ledger sum and the credit blocks', async () => {
    const shards = allShards(env as unknown as Env);
    expect(shards.map((s) => s.name)).toEqual(['LEDGER_SHARD_0', 'LEDGER_SHARD_1', 'LEDGER_SHARD_2', 'LEDGER_SHARD_3']);
    const schemas = await Promise.all(shards.map((s) => schemaOf(s.d1)));
    for (const schema of schemas.slice(1)) expect(schema).toEqual(schemas[0]);
    expect(tablesOf(schemas[0]!)).toEqual(LEDGER_TABLES);
    expect(schemas[0]!.filter((o) => o.type === 'trigger').map((o) => o.name).sort()).toEqual([
      'balances_no_delete',
      'credit_blocks_immutable',
      'credit_blocks_no_delete',
      'credit_blocks_start_whole',
      'credit_blocks_sum_insert',
      'credit_funding_block_exists',
      'credit_funding_draw',
      'credit_funding_immutable',
      'credit_funding_no_delete',
      'transactions_no_delete',
      'transactions_pending_transition',
      'transactions_settled_immutable',
      'transactions_sum_completed_insert',
      'transactions_sum_completed_update',
    ]);
  });

  it('the directory has none of the ledger tables, and the shards none of its', async () => {
    const directory = tablesOf(await schemaOf(env.DB));
    expect(directory).toEqual(DIRECTORY_TABLES);
    expect(directory.filter((t) => LEDGER_TABLES.includes(t))).toEqual([]);
    const price = await env.DB.prepare('SELECT COUNT(*) AS n FROM price_lists').first<{ n: number }>();
    expect(price!.n, 'the directory is seeded with the default price list').toBeGreaterThan(0);
  });
});
