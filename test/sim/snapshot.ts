// What the invariants read after a step, gathered once per workspace and all workspaces at once:
// the ledger object's answer that its journal reached D1, one D1 batch of the workspace's shard,
// the usage events in the object's own storage, and its credit check. To check something new, add
// its query here and its rule to invariants.ts.
import { runInDurableObject } from 'cloudflare:test';
import { shardD1Of } from '../helpers/ledger_checks';
import { ledgerStubOf, type SimWorkspace } from './world';

export interface StoredEvent {
  id: string;
  hourMs: number;
  type: string;
  lineKey: string;
  input: number;
  output: number;
}

export interface SettledLine {
  hourMs: number;
  kind: string;
  lineKey: string;
  count: number;
  input: number;
  output: number;
}

export interface WorkspaceSnapshot {
  /** Null when the ledger object projected its journal; else why it could not. */
  projectionFailure: string | null;
  sums: { balance: number; keptSum: number; ledger: number; minBalanceAfter: number; settledThroughMs: number } | null;
  /** Every ledger row's key, id and amount. */
  keys: { key: string; id: string; amountMicros: number }[];
  lines: SettledLine[];
  events: StoredEvent[];
  creditCheckMicros: number | null;
}

export async function snapshotOf(ws: SimWorkspace): Promise<WorkspaceSnapshot> {
  const stub = ledgerStubOf(ws.workspaceId);
  const projected = await stub.projected();
  const d1 = shardD1Of(ws.workspaceId);
  const [sums, keys, lines] = await d1.batch([
    d1
      .prepare(
        `SELECT b.balance_micros AS balance, b.ledger_sum_micros AS keptSum, b.settled_through_ms AS settledThroughMs,
                (SELECT COALESCE(SUM(amount_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS ledger,
                (SELECT COALESCE(MIN(balance_after_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS minBalanceAfter
           FROM balances b WHERE b.workspace_id = ?`,
      )
      .bind(ws.workspaceId),
    d1.prepare('SELECT idempotency_key AS key, id, amount_micros AS amountMicros FROM transactions WHERE workspace_id = ?').bind(ws.workspaceId),
    d1
      .prepare(
        `SELECT hour_ms AS hourMs, kind, line_key AS lineKey, SUM(count) AS count, SUM(input_tokens) AS input, SUM(output_tokens) AS output
           FROM settlement_lines WHERE workspace_id = ? AND kind IN ('model', 'tool', 'charge') GROUP BY hour_ms, kind, line_key`,
      )
      .bind(ws.workspaceId),
  ]);
  const events = await runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec<{ id: string; hourMs: number; type: string; lineKey: string; input: number; output: number }>(
        'SELECT event_id AS id, hour_ms AS hourMs, type, line_key AS lineKey, input_tokens AS input, output_tokens AS output FROM usage_events',
      )
      .toArray()
      .map((e) => ({ ...e })),
  );
  const check = await stub.creditCheck(ws.workspaceId, 0);
  return {
    projectionFailure: projected.ok ? null : projected.message,
    sums: (sums!.results[0] as WorkspaceSnapshot['sums']) ?? null,
    keys: keys!.results as WorkspaceSnapshot['keys'],
    lines: lines!.results as SettledLine[],
    events,
    creditCheckMicros: check.ok ? check.value.balanceMicros : null,
  };
}

/** Every workspace's snapshot, read at the same time. */
export const snapshotAll = (workspaces: readonly SimWorkspace[]) => Promise.all(workspaces.map(snapshotOf));
