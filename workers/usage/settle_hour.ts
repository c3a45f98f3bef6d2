import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { resourceIntervals, settlementLines, usageRollups } from '../../schema/tables';
import { MS_PER_HOUR } from './exact_cost';
import { selectIntervals } from './interval_query';
import { allocate, describeHour, priceHour, type IntervalRow, type PricedLine, type RollupRow } from './price_hour';
import type { PriceBook } from './pricing';

/** Reads what one hour of a workspace used, straight from D1 (settlement never trusts a cache). */
export async function readHour(db: DrizzleD1Database, workspaceId: string, hourMs: number) {
  const end = hourMs + MS_PER_HOUR;
  const [rollups, intervals] = await db.batch([
    db.select().from(usageRollups).where(and(eq(usageRollups.workspaceId, workspaceId), eq(usageRollups.hourMs, hourMs))),
    selectIntervals(db, workspaceId, and(lt(resourceIntervals.startedAtMs, end), or(isNull(resourceIntervals.stoppedAtMs), gt(resourceIntervals.stoppedAtMs, hourMs)))),
  ]);
  return { rollups: rollups as RollupRow[], intervals: intervals as IntervalRow[] };
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
