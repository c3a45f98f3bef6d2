// What the ledger object needs to enforce spend limits, read from the workspace's shard in one D1
// batch (one round trip) on a cold start, beside the balance: the limits, and for each member with
// one, since the start of the month, the direct debits (deductions and captures) and the settled
// hours' usage (rollups and intervals, priced once the price book is known). Constant SQL bound to
// the workspace id and the month's start, like the rest of the object's load (load_state.ts).
import type { IntervalRow, RollupRow } from '../../../usage/price_hour';
import type { LimitPeriod } from './periods';

export interface LimitRow {
  memberId: string;
  limitMicros: number;
  period: LimitPeriod;
  updatedAtMs: number;
}

export interface SpendRows {
  limits: LimitRow[];
  /** Deductions and captures (what was asked: charged plus forgiven), by member and UTC hour of the entry. */
  debits: Array<{ memberId: string; hourMs: number; micros: number }>;
  rollups: RollupRow[];
  intervals: IntervalRow[];
  /** Where the rows start (the start of the month they were read in). */
  fromMs: number;
  /** The settled point the rollups and intervals stop at (usage from here on is the object's own). */
  settledThroughMs: number;
}

const LIMITED = `(SELECT member_id FROM spend_limits WHERE workspace_id = ?1)`;
const SETTLED = `(SELECT settled_through_ms FROM balances WHERE workspace_id = ?1)`;

const LIMITS_SQL = `SELECT member_id AS memberId, limit_micros AS limitMicros, period, updated_at_ms AS updatedAtMs FROM spend_limits WHERE workspace_id = ?1`;

// Direct debits are the completed `usage` entries that are not hourly settlements (usage/direct_charges.ts).
const DEBITS_SQL = `
  SELECT member_id AS memberId, (created_at_ms / 3600000) * 3600000 AS hourMs, SUM(forgiven_micros - amount_micros) AS micros
    FROM transactions
   WHERE workspace_id = ?1 AND type = 'usage' AND status = 'completed' AND created_at_ms >= ?2
     AND idempotency_key NOT LIKE 'settle:%'
     AND member_id IN ${LIMITED}
   GROUP BY 1, 2`;

const ROLLUPS_SQL = `
  SELECT hour_ms AS hourMs, member_id AS memberId, kind, line_key AS lineKey, price_version AS priceVersion,
         input_tokens AS inputTokens, output_tokens AS outputTokens, count, amount_micros AS amountMicros, description
    FROM usage_rollups
   WHERE workspace_id = ?1 AND hour_ms >= ?2 AND hour_ms < ${SETTLED} AND member_id IN ${LIMITED}`;

const INTERVALS_SQL = `
  SELECT ri.resource_id AS resourceId, r.member_id AS memberId, r.kind AS kind, ri.instance_type AS instanceType,
         ri.size_bytes AS sizeBytes, ri.started_at_ms AS startedAtMs, ri.stopped_at_ms AS stoppedAtMs
    FROM resource_intervals ri JOIN resources r ON r.id = ri.resource_id
   WHERE ri.workspace_id = ?1 AND r.member_id IN ${LIMITED}
     AND ri.started_at_ms < ${SETTLED} AND (ri.stopped_at_ms IS NULL OR ri.stopped_at_ms > ?2)`;

const SETTLED_SQL = `SELECT settled_through_ms AS settledThroughMs FROM balances WHERE workspace_id = ?1`;

/** The rows, from `fromMs` (the start of the current month) on. */
export async function readSpendRows(shard: D1Database, workspaceId: string, fromMs: number): Promise<SpendRows> {
  return spendRowsFrom(await shard.batch([...spendStatements(shard, workspaceId, fromMs)]), fromMs);
}

/** The statements of readSpendRows, for a batch of the object's load (load_state.ts: readLedgerStateWith). */
export function spendStatements(shard: D1Database, workspaceId: string, fromMs: number): readonly D1PreparedStatement[] {
  return [
    shard.prepare(LIMITS_SQL).bind(workspaceId),
    shard.prepare(DEBITS_SQL).bind(workspaceId, fromMs),
    shard.prepare(ROLLUPS_SQL).bind(workspaceId, fromMs),
    shard.prepare(INTERVALS_SQL).bind(workspaceId, fromMs),
    shard.prepare(SETTLED_SQL).bind(workspaceId),
  ];
}

/** The rows from the results of spendStatements, in their order. */
export function spendRowsFrom(results: readonly D1Result[], fromMs: number): SpendRows {
  const [limits, debits, rollups, intervals, settled] = results;
  return {
    fromMs,
    limits: limits!.results as unknown as LimitRow[],
    debits: debits!.results as unknown as SpendRows['debits'],
    rollups: rollups!.results as unknown as RollupRow[],
    intervals: intervals!.results as unknown as IntervalRow[],
    settledThroughMs: (settled!.results[0] as { settledThroughMs: number } | undefined)?.settledThroughMs ?? 0,
  };
}

/** A limit set or removed: one statement (the object reloads what it enforces behind it). */
export function saveLimitStatement(shard: D1Database, workspaceId: string, memberId: string, limit: { limitMicros: number; period: LimitPeriod } | null, nowMs: number): D1PreparedStatement {
  if (!limit) return shard.prepare('DELETE FROM spend_limits WHERE workspace_id = ?1 AND member_id = ?2').bind(workspaceId, memberId);
  return shard
    .prepare(
      `INSERT INTO spend_limits (workspace_id, member_id, limit_micros, period, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (workspace_id, member_id) DO UPDATE SET limit_micros = excluded.limit_micros, period = excluded.period, updated_at_ms = excluded.updated_at_ms`,
    )
    .bind(workspaceId, memberId, limit.limitMicros, limit.period, nowMs);
}
