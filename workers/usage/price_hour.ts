import { exactFromMicros, exactInstance, exactModel, exactStorage, roundMicros, type Exact } from './exact_cost';
import type { PriceBook } from './pricing';

export type UsageKind = 'model' | 'model_byok' | 'tool' | 'charge';
export type LineKind = 'model' | 'tool' | 'charge' | 'instance' | 'volume';

/** One aggregate of usage events (a usage_rollups row). */
export interface RollupRow {
  hourMs: number;
  memberId: string;
  kind: UsageKind;
  lineKey: string;
  priceVersion: number;
  inputTokens: number;
  outputTokens: number;
  count: number;
  amountMicros: number;
  description: string | null;
}

/** One metered stretch of a resource at one rate (a resource_intervals row joined to its resource). */
export interface IntervalRow {
  resourceId: string;
  memberId: string;
  kind: 'instance' | 'volume';
  instanceType: string | null;
  sizeBytes: number | null;
  startedAtMs: number;
  stoppedAtMs: number | null;
}

export interface PricedLine {
  kind: LineKind;
  lineKey: string;
  /** The member the line belongs to; '' when it aggregates several members (models, tools). */
  memberId: string;
  inputTokens: number;
  outputTokens: number;
  count: number;
  runtimeMs: number;
  byteSeconds: number;
  exact: Exact;
  costMicros: number;
  description: string | null;
}

const LINE_ORDER: Record<LineKind, number> = { charge: 0, tool: 1, model: 2, volume: 3, instance: 4 };

/** Lines in the order a short balance pays them (charges first, instance runtime last), then by key. */
export const byPaymentOrder = (a: { kind: string; lineKey: string }, b: { kind: string; lineKey: string }): number =>
  (LINE_ORDER[a.kind as LineKind] ?? 9) - (LINE_ORDER[b.kind as LineKind] ?? 9) || (a.lineKey < b.lineKey ? -1 : a.lineKey > b.lineKey ? 1 : 0);

/**
 * Prices one hour (or the part of it up to `untilMs`): one line per model, one for tool executions,
 * one per charge, one per instance and one per volume, each rounded once. Lines are returned in the
 * order a short balance pays them (charges first, instance runtime last), so that what cannot be
 * covered is forgiven from runtime.
 */
export function priceHour(
  hourStartMs: number,
  untilMs: number,
  rollups: readonly RollupRow[],
  intervals: readonly IntervalRow[],
  book: PriceBook,
): PricedLine[] {
  const lines = new Map<string, PricedLine>();
  const line = (kind: LineKind, lineKey: string, memberId: string, description: string | null = null): PricedLine => {
    const key = `${kind}\u0000${lineKey}`;
    let found = lines.get(key);
    if (!found) {
      found = { kind, lineKey, memberId, inputTokens: 0, outputTokens: 0, count: 0, runtimeMs: 0, byteSeconds: 0, exact: 0n, costMicros: 0, description };
      lines.set(key, found);
    } else if (found.memberId !== memberId) {
      found.memberId = '';
    }
    return found;
  };

  for (const r of rollups) {
    if (r.hourMs !== hourStartMs) continue;
    switch (r.kind) {
      case 'model':
      case 'model_byok': {
        const l = line('model', r.lineKey, r.memberId);
        l.inputTokens += r.inputTokens;
        l.outputTokens += r.outputTokens;
        l.count += r.count;
        if (r.kind === 'model') {
          const price = book.modelPrice(r.priceVersion, r.lineKey);
          l.exact += exactModel(r.inputTokens, price.input) + exactModel(r.outputTokens, price.output);
        }
        break;
      }
      case 'tool': {
        const l = line('tool', 'tools', r.memberId, 'Tool executions');
        l.count += r.count;
        l.exact += BigInt(r.count) * exactFromMicros(book.byVersion(r.priceVersion).pricing.toolExecution.microsPerExecution);
        break;
      }
      case 'charge': {
        const l = line('charge', r.lineKey, r.memberId, r.description);
        l.count += r.count;
        l.exact += exactFromMicros(r.amountMicros);
        break;
      }
    }
  }

  const hourEndMs = Math.min(hourStartMs + 3_600_000, untilMs);
  for (const iv of intervals) {
    const from = Math.max(iv.startedAtMs, hourStartMs);
    const to = Math.min(iv.stoppedAtMs ?? hourEndMs, hourEndMs);
    if (to <= from) continue;
    const l = line(iv.kind, iv.resourceId, iv.memberId);
    for (const seg of book.segments(from, to)) {
      const ms = seg.toMs - seg.fromMs;
      if (iv.kind === 'instance') {
        l.exact += exactInstance(ms, book.instanceRate(seg.prices, iv.instanceType ?? ''));
      } else {
        l.exact += exactStorage(iv.sizeBytes ?? 0, ms, seg.prices.pricing.storage.microsPerGbMonth);
        l.byteSeconds += Number((BigInt(iv.sizeBytes ?? 0) * BigInt(ms)) / 1000n);
      }
    }
    l.runtimeMs += to - from;
  }

  const out = [...lines.values()];
  for (const l of out) l.costMicros = roundMicros(l.exact);
  return out.sort(byPaymentOrder);
}

/** Splits what a balance can pay across lines in order; the rest of each line is forgiven. */
export function allocate(lines: readonly PricedLine[], availableMicros: number) {
  let left = availableMicros;
  return lines.map((l) => {
    const charged = Math.min(l.costMicros, Math.max(left, 0));
    left -= charged;
    return { line: l, chargedMicros: charged, forgivenMicros: l.costMicros - charged };
  });
}

export function describeHour(hourStartMs: number, lines: readonly PricedLine[]): string {
  const start = new Date(hourStartMs).toISOString().slice(0, 16).replace('T', ' ');
  const end = new Date(hourStartMs + 3_600_000).toISOString().slice(11, 16);
  const count = (k: LineKind) => lines.filter((l) => l.kind === k).length;
  const parts: string[] = [];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (count('instance')) parts.push(plural(count('instance'), 'instance'));
  if (count('volume')) parts.push(plural(count('volume'), 'volume'));
  if (count('model')) parts.push(plural(count('model'), 'model'));
  const tools = lines.find((l) => l.kind === 'tool');
  if (tools) parts.push(plural(tools.count, 'tool execution'));
  if (count('charge')) parts.push(plural(count('charge'), 'charge'));
  return `Usage ${start}–${end} UTC: ${parts.join(', ') || 'no metered usage'}`;
}
