// History reads with any filter come from an index (migration 0008_history_indexes): SQLite's
// plan for the very query the history page runs searches an index and needs no sort, so a
// filtered page never scans the workspace's ledger.
import { env } from 'cloudflare:workers';
import { drizzle } from 'drizzle-orm/d1';
import { describe, expect, it } from 'vitest';
import { historyRowsQuery, type HistoryQuery } from '../../workers/billing/history_page';
import { encodeCursor } from '../../workers/lib/history_cursor';
import { shardD1Of } from '../helpers/ledger_checks';

async function planOf(query: Omit<HistoryQuery, 'limit'>): Promise<string[]> {
  const { sql, params } = historyRowsQuery(drizzle(env.DB), 'ws_plan', query, 51).toSQL();
  const { results } = await shardD1Of('ws_plan').prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

describe('history queries use an index for every filter', () => {
  const cases: [Omit<HistoryQuery, 'limit'>, string][] = [
    [{}, 'transactions_workspace_seq'],
    [{ type: 'usage' }, 'transactions_workspace_type_seq'],
    [{ status: 'pending' }, 'transactions_workspace_status_seq'],
    [{ type: 'deposit', status: 'failed' }, 'transactions_workspace_type_status_seq'],
    [{ type: 'refund', cursor: encodeCursor(1_000) }, 'transactions_workspace_type_seq'],
    [{ status: 'completed', cursor: encodeCursor(1_000) }, 'transactions_workspace_status_seq'],
    [{ type: 'usage', status: 'completed', cursor: encodeCursor(1_000) }, 'transactions_workspace_type_status_seq'],
  ];
  for (const [query, index] of cases) {
    it(`${JSON.stringify(query)} searches ${index}, without a scan or a sort`, async () => {
      const plan = await planOf(query);
      expect(plan.join(' | ')).toMatch(new RegExp(`^SEARCH transactions USING (COVERING )?INDEX ${index} \\(`));
      expect(plan).toHaveLength(1);
      expect(plan.join(' | ')).not.toMatch(/SCAN|TEMP B-TREE/);
    });
  }
});
