import { sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { usageEvents, usageRollups } from '../../schema/tables';
import type { RollupRow, UsageKind } from './price_hour';

export interface EventRow {
  eventId: string;
  requestHash: string;
  hourMs: number;
  occurredAtMs: number;
  memberId: string;
  type: 'model' | 'tool_execution' | 'charge';
  lineKey: string;
  inputTokens: number;
  outputTokens: number;
  amountMicros: number;
  priceVersion: number;
}

// Each group of events becomes two statements whatever its size: the rows travel as one JSON
// parameter and SQLite unpacks them with json_each. Multi-row VALUES would need a statement per
// 7 rows under D1's 100-bound-parameters limit.
export function insertEvents(db: DrizzleD1Database, workspaceId: string, rows: readonly EventRow[]) {
  const packed = JSON.stringify(
    rows.map((r) => [r.eventId, r.requestHash, r.hourMs, r.occurredAtMs, r.memberId, r.type, r.lineKey, r.inputTokens, r.outputTokens, r.amountMicros, r.priceVersion]),
  );
  // Columns in table order: drizzle's insert…select lists every column of the table.
  return db.insert(usageEvents).select(sql`
    SELECT ${workspaceId}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
           value ->> 7, value ->> 8, value ->> 9, value ->> 10
    FROM json_each(${packed})`);
}

export function upsertRollups(db: DrizzleD1Database, workspaceId: string, rows: readonly RollupRow[], occurredAt: ReadonlyMap<string, number>) {
  const packed = JSON.stringify(
    rows.map((r) => [r.hourMs, r.memberId, r.kind, r.lineKey, r.priceVersion, r.inputTokens, r.outputTokens, r.count, r.amountMicros, r.description, occurredAt.get(r.lineKey) ?? null]),
  );
  // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
  return db
    .insert(usageRollups)
    .select(sql`
      SELECT ${workspaceId}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
             value ->> 7, value ->> 8, value ->> 9, value ->> 10
      FROM json_each(${packed}) WHERE true`)
    .onConflictDoUpdate({
      target: [usageRollups.workspaceId, usageRollups.hourMs, usageRollups.memberId, usageRollups.kind, usageRollups.lineKey, usageRollups.priceVersion],
      set: {
        inputTokens: sql`${usageRollups.inputTokens} + excluded.input_tokens`,
        outputTokens: sql`${usageRollups.outputTokens} + excluded.output_tokens`,
        count: sql`${usageRollups.count} + excluded.count`,
        amountMicros: sql`${usageRollups.amountMicros} + excluded.amount_micros`,
      },
    });
}

/** Adds events into rollup rows keyed like usage_rollups' primary key. */
export function rollUp(rows: readonly EventRow[], byok: ReadonlySet<string>, descriptions: ReadonlyMap<string, string>): RollupRow[] {
  const out = new Map<string, RollupRow>();
  for (const r of rows) {
    const kind: UsageKind = r.type === 'model' ? (byok.has(r.eventId) ? 'model_byok' : 'model') : r.type === 'tool_execution' ? 'tool' : 'charge';
    const key = `${r.hourMs}|${r.memberId}|${kind}|${r.lineKey}|${r.priceVersion}`;
    let row = out.get(key);
    if (!row) {
      row = { hourMs: r.hourMs, memberId: r.memberId, kind, lineKey: r.lineKey, priceVersion: r.priceVersion, inputTokens: 0, outputTokens: 0, count: 0, amountMicros: 0, description: kind === 'charge' ? (descriptions.get(r.eventId) ?? 'Charge') : null };
      out.set(key, row);
    }
    row.inputTokens += r.inputTokens;
    row.outputTokens += r.outputTokens;
    row.count += 1;
    row.amountMicros += r.amountMicros;
  }
  return [...out.values()];
}
