import { and, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { resourceIntervals, usageRollups } from '../../schema/tables';
import { iso } from '../lib/time';
import { balanceAfterGuardSql } from '../ledger/writes/guarded_balance';
import { assertSafeMicros } from './amount_limits';
import { MS_PER_HOUR } from './exact_cost';
import { selectIntervals } from './interval_query';
import { allocate, describeHour, priceHour, type IntervalRow, type PricedLine, type RollupRow } from './price_hour';
import type { TimedRollup } from './roll_up';
import type { PriceBook } from './pricing';

/**
 * The metered intervals that ran in [fromMs, toMs), straight from D1 (settlement never trusts a
 * cache): one query for every closed hour settled together.
 */
export async function readIntervalsBetween(db: DrizzleD1Database, workspaceId: string, fromMs: number, toMs: number): Promise<IntervalRow[]> {
  const intervals = await selectIntervals(db, workspaceId, and(lt(resourceIntervals.startedAtMs, toMs), or(isNull(resourceIntervals.stoppedAtMs), gt(resourceIntervals.stoppedAtMs, fromMs))));
  return intervals as IntervalRow[];
}

/** Those of `intervals` that ran during the hour starting at hourMs. */
export const intervalsInHour = (intervals: readonly IntervalRow[], hourMs: number): IntervalRow[] =>
  intervals.filter((iv) => iv.startedAtMs < hourMs + MS_PER_HOUR && (iv.stoppedAtMs === null || iv.stoppedAtMs > hourMs));

const ROLLUPS_PER_STATEMENT = 400; // D1 takes at most 100 KB per statement

/**
 * The settled hour's rollups, copied into D1 in the batch of its usage entry: what usage reports
 * read for settled hours (per member and model). Replaces rows a crash or an earlier release may
 * have left for that hour: the object's rollups already include them.
 */
export function insertSettledRollups(db: DrizzleD1Database, workspaceId: string, rollups: readonly TimedRollup[]) {
  const statements = [];
  for (let i = 0; i < rollups.length; i += ROLLUPS_PER_STATEMENT) {
    const packed = JSON.stringify(
      rollups
        .slice(i, i + ROLLUPS_PER_STATEMENT)
        .map((r) => [r.hourMs, r.memberId, r.kind, r.lineKey, r.priceVersion, r.inputTokens, r.outputTokens, r.count, r.amountMicros, r.description, r.occurredAtMs]),
    );
    statements.push(
      db
        .insert(usageRollups)
        .select(sql`
          SELECT ${workspaceId}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
                 value ->> 7, value ->> 8, value ->> 9, value ->> 10
          FROM json_each(${packed}) WHERE true`)
        .onConflictDoUpdate({
          target: [usageRollups.workspaceId, usageRollups.hourMs, usageRollups.memberId, usageRollups.kind, usageRollups.lineKey, usageRollups.priceVersion],
          set: {
            inputTokens: sql`excluded.input_tokens`,
            outputTokens: sql`excluded.output_tokens`,
            count: sql`excluded.count`,
            amountMicros: sql`excluded.amount_micros`,
          },
        }),
    );
  }
  return statements;
}

export interface HourBill {
  hourMs: number;
  lines: PricedLine[];
  totalMicros: number;
  chargedMicros: number;
  forgivenMicros: number;
  description: string;
  allocations: ReturnType<typeof allocate>;
}

/** Prices a closed hour and splits it into what the balance pays and what is forgiven. */
export function billHour(hourMs: number, rollups: RollupRow[], intervals: IntervalRow[], book: PriceBook, availableMicros: number): HourBill {
  const lines = priceHour(hourMs, hourMs + MS_PER_HOUR, rollups, intervals, book);
  const allocations = allocate(lines, availableMicros);
  // The hour's lines are each bounded (amount_limits.ts); their sum is what the entry records.
  const totalMicros = assertSafeMicros(
    lines.reduce((s, l) => s + l.costMicros, 0),
    `settlement of ${iso(hourMs)}`,
  );
  const chargedMicros = allocations.reduce((s, a) => s + a.chargedMicros, 0);
  return { hourMs, lines, totalMicros, chargedMicros, forgivenMicros: totalMicros - chargedMicros, description: describeHour(hourMs, lines), allocations };
}

// One hour's settlement batch, as constant SQL bound to its values: it runs for every workspace
// with anything open, every hour, so nothing on that path is built by the query builder.

/**
 * The guarded balance update (as guarded_balance.ts's moveBalance) that also moves the settled
 * point and the oldest hour with events: it changes nothing unless D1 holds what the object expected.
 */
const MOVE_SETTLED_BALANCE_SQL = `
  UPDATE balances SET balance_micros = balance_micros + ?1, updated_at_ms = ?2, settled_through_ms = ?3, oldest_open_event_hour_ms = ?4
   WHERE workspace_id = ?5 AND balance_micros = ?6 AND settled_through_ms = ?7
  RETURNING balance_micros AS balanceMicros`;

/** The hour's `usage` entry, keyed by the hour, with the balance the guarded update left (balanceAfterGuardSql). */
const USAGE_ENTRY_SQL = `
  INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros, forgiven_micros,
                            balance_after_micros, created_at_ms, settled_at_ms)
  VALUES (?1, ?2, ?3, 'settlement', 'usage', 'completed', ?4, ?5, ?6,
          ${balanceAfterGuardSql('?2')}, ?7, ?7)`;

const SETTLEMENT_LINES_SQL = `
  INSERT INTO settlement_lines (workspace_id, hour_ms, member_id, kind, line_key, transaction_id, input_tokens, output_tokens, count,
                                runtime_ms, byte_seconds, cost_micros, forgiven_micros, description)
  SELECT ?1, ?2, value ->> 0, value ->> 1, value ->> 2, ?3, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7,
         value ->> 8, value ->> 9, value ->> 10
    FROM json_each(?4)`;

export interface SettleHourWrite {
  workspaceId: string;
  /** What the object expects D1 to hold: the guard. */
  expectedBalanceMicros: number;
  expectedSettledThroughMs: number;
  bill: HourBill;
  transactionId: string;
  nowMs: number;
  oldestOpenEventHourMs: number | null;
  rollups: readonly TimedRollup[];
}

/**
 * The statements that settle one hour, in one D1 batch: the guarded balance update, the `usage`
 * entry, its priced lines, its rollups. The first answers the balance it left.
 */
export function settleHourStatements(d1: D1Database, db: DrizzleD1Database, w: SettleHourWrite): D1PreparedStatement[] {
  const { workspaceId, bill } = w;
  const lines = JSON.stringify(
    bill.allocations.map(({ line, forgivenMicros }) => [
      line.memberId,
      line.kind,
      line.lineKey,
      line.inputTokens,
      line.outputTokens,
      line.count,
      line.runtimeMs,
      line.byteSeconds,
      line.costMicros,
      forgivenMicros,
      line.description,
    ]),
  );
  const nextHourMs = bill.hourMs + MS_PER_HOUR;
  return [
    d1.prepare(MOVE_SETTLED_BALANCE_SQL).bind(-bill.chargedMicros, w.nowMs, nextHourMs, w.oldestOpenEventHourMs, workspaceId, w.expectedBalanceMicros, w.expectedSettledThroughMs),
    d1.prepare(USAGE_ENTRY_SQL).bind(w.transactionId, workspaceId, `settle:${iso(bill.hourMs)}`, bill.description, -bill.chargedMicros || 0, bill.forgivenMicros, w.nowMs),
    d1.prepare(SETTLEMENT_LINES_SQL).bind(workspaceId, bill.hourMs, w.transactionId, lines),
    // Rollups exist only for hours with events: the rare case keeps the query builder.
    ...insertSettledRollups(db, workspaceId, w.rollups).map((query) => {
      const { sql: text, params } = query.toSQL();
      return d1.prepare(text).bind(...params);
    }),
  ];
}
