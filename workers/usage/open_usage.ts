import { exactFromMicros, exactInstance, exactModel, exactStorage, hourOf, MS_PER_HOUR, roundMicros, type Exact } from './exact_cost';
import type { IntervalRow, RollupRow } from './price_hour';
import type { PriceBook } from './pricing';

interface EventLine {
  exact: Exact;
  rounded: number;
}

/** The key of an hour's event line, as settlement prices it: one per model, one for tools, one per charge. */
export const eventLineKey = (kind: RollupRow['kind'], lineKey: string): string =>
  kind === 'model' || kind === 'model_byok' ? `model:${lineKey}` : kind === 'tool' ? 'tools' : `charge:${lineKey}`;

/** What an open hour's event lines hold now: what ingestion's limits (hour_budget.ts) add to. */
export interface OpenEventAmounts {
  readonly settledThroughMs: number;
  /** The exact cost of one event line of an open hour (0n when it has none yet). */
  eventLineExact(hourMs: number, lineKey: string): Exact;
  /** The sum of an open hour's event lines, each rounded as settlement rounds it. */
  eventHourMicros(hourMs: number): number;
  /** Tokens (input + output, every model) of an open hour. */
  eventHourTokens(hourMs: number): number;
}

/**
 * What a workspace has used but not yet settled, held by its Durable Object so that credit checks,
 * the live `accumulating` amount and the burn rate need no database read. Event usage is kept as
 * exact per-line sums per hour, updated incrementally; resource runtime is computed from intervals
 * at the moment asked. It mirrors usage_rollups and resource_intervals (from which it is rebuilt)
 * for every hour at or after settledThroughMs.
 */
export class OpenUsage implements OpenEventAmounts {
  settledThroughMs: number;
  private readonly eventLines = new Map<number, Map<string, EventLine>>();
  private readonly eventTotals = new Map<number, number>();
  private readonly eventTokens = new Map<number, number>();
  intervals: IntervalRow[] = [];
  /** Event usage of the last settled hour (and which hour that was), for the trailing-hour burn rate. */
  lastSettledHour = { hourMs: -1, eventMicros: 0 };

  constructor(settledThroughMs: number) {
    this.settledThroughMs = settledThroughMs;
  }

  addRollup(r: RollupRow, book: PriceBook): void {
    const lineKey = eventLineKey(r.kind, r.lineKey);
    let exact: Exact = 0n;
    if (r.kind === 'model') {
      const p = book.modelPrice(r.priceVersion, r.lineKey);
      exact = exactModel(r.inputTokens, p.input) + exactModel(r.outputTokens, p.output);
    } else if (r.kind === 'tool') {
      exact = BigInt(r.count) * exactFromMicros(book.byVersion(r.priceVersion).pricing.toolExecution.microsPerExecution);
    } else if (r.kind === 'charge') {
      exact = exactFromMicros(r.amountMicros);
    }
    let hour = this.eventLines.get(r.hourMs);
    if (!hour) this.eventLines.set(r.hourMs, (hour = new Map()));
    const line = hour.get(lineKey) ?? { exact: 0n, rounded: 0 };
    const before = line.rounded;
    line.exact += exact;
    line.rounded = roundMicros(line.exact);
    hour.set(lineKey, line);
    this.eventTotals.set(r.hourMs, (this.eventTotals.get(r.hourMs) ?? 0) + line.rounded - before);
    this.eventTokens.set(r.hourMs, (this.eventTokens.get(r.hourMs) ?? 0) + r.inputTokens + r.outputTokens);
  }

  eventLineExact(hourMs: number, lineKey: string): Exact {
    return this.eventLines.get(hourMs)?.get(lineKey)?.exact ?? 0n;
  }

  eventHourMicros(hourMs: number): number {
    return this.eventTotals.get(hourMs) ?? 0;
  }

  eventHourTokens(hourMs: number): number {
    return this.eventTokens.get(hourMs) ?? 0;
  }

  /** The hours with anything unsettled that end at or before cutoffMs. */
  closedHours(cutoffMs: number): number[] {
    const hours = new Set<number>();
    for (const h of this.eventLines.keys()) if (h + MS_PER_HOUR <= cutoffMs) hours.add(h);
    for (const iv of this.intervals) {
      const from = Math.max(iv.startedAtMs, this.settledThroughMs);
      const to = Math.min(iv.stoppedAtMs ?? cutoffMs, cutoffMs);
      for (let h = hourOf(from); h < to && h + MS_PER_HOUR <= cutoffMs; h += MS_PER_HOUR) hours.add(h);
    }
    return [...hours].sort((a, b) => a - b);
  }

  /** The oldest hour at or after `fromMs` with event usage held here (null: none). */
  oldestEventHourFrom(fromMs: number): number | null {
    let oldest: number | null = null;
    for (const h of this.eventLines.keys()) if (h >= fromMs && (oldest === null || h < oldest)) oldest = h;
    return oldest;
  }

  /**
   * Start of the oldest hour in which anything is left to settle (events, or runtime of an interval
   * that is running or stopped after the settled point); null when nothing is: such a workspace
   * has no reason to wake up for settlement.
   */
  oldestBillableHourMs(): number | null {
    let oldest: number | null = null;
    const consider = (h: number) => {
      if (oldest === null || h < oldest) oldest = h;
    };
    for (const h of this.eventLines.keys()) consider(h);
    for (const iv of this.intervals) {
      const from = Math.max(iv.startedAtMs, this.settledThroughMs);
      // A zero-length interval (stopped where it started, or before the settled point) bills nothing.
      if (iv.stoppedAtMs === null || iv.stoppedAtMs > from) consider(hourOf(from));
    }
    return oldest;
  }

  /** Start of the oldest hour holding unsettled usage (the current hour when there is none). */
  oldestUnsettledHourMs(nowMs: number): number {
    let oldest = hourOf(nowMs);
    for (const h of this.eventLines.keys()) oldest = Math.min(oldest, h);
    for (const iv of this.intervals) oldest = Math.min(oldest, hourOf(Math.max(iv.startedAtMs, this.settledThroughMs)));
    return oldest;
  }

  /**
   * Usage accrued but not settled, up to nowMs: events of every unsettled hour plus runtime.
   * `intervals`: the runtime of other intervals than those held (a group commit's running view).
   */
  accumulatingMicros(nowMs: number, book: PriceBook, intervals: readonly IntervalRow[] = this.intervals): number {
    let total = 0;
    for (const t of this.eventTotals.values()) total += t;
    for (const iv of intervals) total += this.resourceMicros(iv, nowMs, book);
    return total;
  }

  /** Micros per hour that metered resources accrue right now (what drains the balance by itself). */
  runningRateMicrosPerHour(nowMs: number, book: PriceBook): number {
    let rate = 0;
    const prices = book.at(nowMs);
    for (const iv of this.intervals) {
      if (iv.stoppedAtMs !== null || iv.startedAtMs > nowMs) continue;
      if (iv.kind === 'instance') rate += book.instanceRate(prices, iv.instanceType ?? '');
      else rate += roundMicros(exactStorage(iv.sizeBytes ?? 0, MS_PER_HOUR, prices.pricing.storage.microsPerGbMonth));
    }
    return rate;
  }

  /** Credits per hour now: running instances and volumes, plus the trailing hour of event usage. */
  burnRateMicrosPerHour(nowMs: number, book: PriceBook): number {
    let rate = this.runningRateMicrosPerHour(nowMs, book);
    // Trailing hour: this hour's events so far, plus the part of last hour still inside the window.
    const hour = hourOf(nowMs);
    const elapsed = (nowMs - hour) / MS_PER_HOUR;
    const lastSettled = this.lastSettledHour.hourMs === hour - MS_PER_HOUR ? this.lastSettledHour.eventMicros : 0;
    const previous = this.eventTotals.get(hour - MS_PER_HOUR) ?? lastSettled;
    rate += (this.eventTotals.get(hour) ?? 0) + Math.round(previous * (1 - elapsed));
    return rate;
  }

  /** Forgets everything before the new settlement boundary (the settled hours are in D1 now). */
  settleThrough(newSettledThroughMs: number): void {
    const lastHour = newSettledThroughMs - MS_PER_HOUR;
    this.lastSettledHour = { hourMs: lastHour, eventMicros: this.eventTotals.get(lastHour) ?? 0 };
    for (const h of [...this.eventLines.keys()]) {
      if (h < newSettledThroughMs) {
        this.eventLines.delete(h);
        this.eventTotals.delete(h);
        this.eventTokens.delete(h);
      }
    }
    this.settledThroughMs = newSettledThroughMs;
    this.intervals = this.intervals.filter((iv) => iv.stoppedAtMs === null || iv.stoppedAtMs > newSettledThroughMs);
  }

  /** Runtime cost of one interval from the settlement boundary to nowMs, rounded per hour line. */
  private resourceMicros(iv: IntervalRow, nowMs: number, book: PriceBook): number {
    const from = Math.max(iv.startedAtMs, this.settledThroughMs);
    const to = Math.min(iv.stoppedAtMs ?? nowMs, nowMs);
    let total = 0;
    for (let h = hourOf(from); h < to; h += MS_PER_HOUR) {
      let exact: Exact = 0n;
      for (const seg of book.segments(Math.max(from, h), Math.min(to, h + MS_PER_HOUR))) {
        const ms = seg.toMs - seg.fromMs;
        if (iv.kind === 'instance') exact += exactInstance(ms, book.instanceRate(seg.prices, iv.instanceType ?? ''));
        else exact += exactStorage(iv.sizeBytes ?? 0, ms, seg.prices.pricing.storage.microsPerGbMonth);
      }
      total += roundMicros(exact);
    }
    return total;
  }
}
