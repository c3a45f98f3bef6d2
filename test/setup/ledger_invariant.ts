import { env } from 'cloudflare:workers';
import { afterAll, expect } from 'vitest';

// After every test file: for each workspace, the balance row equals the sum of its completed
// ledger entries, and no balance is negative. A file that breaks the ledger fails here.
afterAll(async () => {
  const { results } = await env.DB.prepare(
    `SELECT w.id AS workspaceId,
            b.balance_micros AS balanceMicros,
            (SELECT COALESCE(SUM(t.amount_micros), 0) FROM transactions t
              WHERE t.workspace_id = w.id AND t.status = 'completed') AS ledgerSumMicros
       FROM workspaces w LEFT JOIN balances b ON b.workspace_id = w.id`,
  ).all<{ workspaceId: string; balanceMicros: number | null; ledgerSumMicros: number }>();
  for (const row of results) {
    expect(row.balanceMicros, `balance row of ${row.workspaceId}`).not.toBeNull();
    expect(row.balanceMicros, `balance of ${row.workspaceId} equals its ledger`).toBe(row.ledgerSumMicros);
    expect(row.balanceMicros!, `balance of ${row.workspaceId}`).toBeGreaterThanOrEqual(0);
  }
});
