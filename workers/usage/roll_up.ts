import type { RollupRow, UsageKind } from './price_hour';

/** One accepted usage event, as the workspace's ledger object stores it. */
export interface EventRow {
  eventId: string;
  requestHash: string;
  /** The hour the event is billed in (its own hour, or the first unsettled hour if reported late). */
  hourMs: number;
  occurredAtMs: number;
  memberId: string;
  type: 'model' | 'tool_execution' | 'charge';
  /** The model id, 'tools', or the charge's event id (each charge is its own line). */
  lineKey: string;
  inputTokens: number;
  outputTokens: number;
  amountMicros: number;
  priceVersion: number;
}

/** A rollup row; charge lines also carry when the charge happened. */
export type TimedRollup = RollupRow & { occurredAtMs: number | null };

/** Adds events into rollup rows keyed by (hour, member, kind, line, price version). */
export function rollUp(rows: readonly EventRow[], byok: ReadonlySet<string>, descriptions: ReadonlyMap<string, string>): TimedRollup[] {
  const out = new Map<string, TimedRollup>();
  for (const r of rows) {
    const kind: UsageKind = r.type === 'model' ? (byok.has(r.eventId) ? 'model_byok' : 'model') : r.type === 'tool_execution' ? 'tool' : 'charge';
    const key = `${r.hourMs}|${r.memberId}|${kind}|${r.lineKey}|${r.priceVersion}`;
    let row = out.get(key);
    if (!row) {
      row = {
        hourMs: r.hourMs,
        memberId: r.memberId,
        kind,
        lineKey: r.lineKey,
        priceVersion: r.priceVersion,
        inputTokens: 0,
        outputTokens: 0,
        count: 0,
        amountMicros: 0,
        description: kind === 'charge' ? (descriptions.get(r.eventId) ?? 'Charge') : null,
        occurredAtMs: kind === 'charge' ? r.occurredAtMs : null,
      };
      out.set(key, row);
    }
    row.inputTokens += r.inputTokens;
    row.outputTokens += r.outputTokens;
    row.count += 1;
    row.amountMicros += r.amountMicros;
  }
  return [...out.values()];
}
