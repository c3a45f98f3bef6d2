import { and, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { resourceIntervals, settlementLines, usageRollups } from '../../schema/tables';
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
  const totalMicros = lines.reduce((s, l) => s + l.costMicros, 0);
  const chargedMicros = allocations.reduce((s, a) => s + a.chargedMicros, 0);
  return { hourMs, lines, totalMicros, chargedMicros, forgivenMicros: totalMicros - chargedMicros, description: describeHour(hourMs, lines), allocations };
}

export function insertSettlementLines(db: DrizzleD1Database, workspaceId: string, transactionId: string, bill: HourBill) {
  const packed = JSON.stringify(
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
  // Columns in table order: drizzle's insert…select lists every column of the table.
  return db.insert(settlementLines).select(sql`
    SELECT ${workspaceId}, ${bill.hourMs}, value ->> 0, value ->> 1, value ->> 2, ${transactionId}, value ->> 3, value ->> 4,
           value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, value ->> 10
    FROM json_each(${packed})`);
}
