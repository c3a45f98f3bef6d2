// The open hours' usage as priced lines: what the `accumulating` history row is made of.
import { hourOf, MS_PER_HOUR } from '../../usage/exact_cost';
import { priceHour, type RollupRow } from '../../usage/price_hour';
import type { LedgerState } from '../state/ledger_state';

export interface OpenLine {
  kind: 'model' | 'tool' | 'charge' | 'instance' | 'volume';
  lineKey: string;
  inputTokens: number;
  outputTokens: number;
  count: number;
  runtimeMs: number;
  byteSeconds: number;
  costMicros: number;
  forgivenMicros: number;
  description: string | null;
}

/**
 * Prices every open hour up to `nowMs` (each hour's lines rounded once, as settlement will) and
 * sums the lines of the same model, tools, charge, instance or volume across those hours.
 */
export function openHourLines(state: LedgerState, rollups: readonly RollupRow[], nowMs: number): OpenLine[] {
  const byLine = new Map<string, OpenLine>();
  // From the settled point on: a cron fired with a later time may have settled the hour still running.
  for (let h = Math.max(state.open.oldestUnsettledHourMs(nowMs), state.open.settledThroughMs); h <= hourOf(nowMs); h += MS_PER_HOUR) {
    for (const l of priceHour(h, Math.min(h + MS_PER_HOUR, nowMs), rollups, state.open.intervals, state.book)) {
      const key = `${l.kind}\u0000${l.lineKey}`;
      const sum = byLine.get(key) ?? { kind: l.kind, lineKey: l.lineKey, inputTokens: 0, outputTokens: 0, count: 0, runtimeMs: 0, byteSeconds: 0, costMicros: 0, forgivenMicros: 0, description: l.description };
      sum.inputTokens += l.inputTokens;
      sum.outputTokens += l.outputTokens;
      sum.count += l.count;
      sum.runtimeMs += l.runtimeMs;
      sum.byteSeconds += l.byteSeconds;
      sum.costMicros += l.costMicros;
      byLine.set(key, sum);
    }
  }
  return [...byLine.values()].filter((l) => l.costMicros > 0 || l.inputTokens + l.outputTokens + l.count > 0);
}
