import { MAX_EVENT_MICROS, MAX_HOUR_EVENT_MICROS, MAX_HOUR_TOKENS, MAX_LINE_HOUR_MICROS } from './amount_limits';
import { DENOMINATOR, roundMicros, type Exact } from './exact_cost';
import { eventLineKey, type OpenEventAmounts } from './open_usage';
import type { UsageKind } from './price_hour';

/** Which limit an event would break (amount_limits.ts), and what the event, line or hour would hold. */
export type BudgetBreach =
  | { limit: 'event'; micros: number }
  | { limit: 'line'; micros: number }
  | { limit: 'hour'; micros: number }
  | { limit: 'tokens'; tokens: number };

/** The smallest exact cost that rounds (halves up) to more than `micros`: compared, never divided. */
const roundsAbove = (micros: number): Exact => BigInt(micros + 1) * DENOMINATOR - DENOMINATOR / 2n;
const EVENT_ABOVE = roundsAbove(MAX_EVENT_MICROS);
const LINE_ABOVE = roundsAbove(MAX_LINE_HOUR_MICROS);

/** One event's own limit, on its exact cost (every list stored before the price bounds included). */
export function eventBreach(exact: Exact): BudgetBreach | null {
  return exact >= EVENT_ABOVE ? { limit: 'event', micros: roundMicros(exact) } : null;
}

interface LineChange {
  /** The line's exact cost where this layer found it, and with this layer's events. */
  before: Exact;
  after: Exact;
}

interface HourChange {
  lines: Map<string, LineChange>;
  tokens: number;
}

/**
 * What the open hours' event lines would hold with a group's events added. Adding is only sums (the
 * ingestion hot path); `breach()` checks the line, hour and token limits once for everything a
 * layer added, rounding each line it touched once. The group's accepted requests build on one
 * another: each request adds on a `fork()` and, once accepted whole, `commit()`s it into its parent;
 * a refused request's fork is dropped, so nothing of it counts.
 */
export class HourBudget {
  private readonly hours = new Map<number, HourChange>();
  /** Per hour, the sum of its rounded event lines as committed into this layer by its forks. */
  private readonly hourMicros = new Map<number, number>();

  constructor(
    private readonly open: OpenEventAmounts,
    private readonly parent: HourBudget | null = null,
  ) {}

  /** A layer for one request, over the group's budget (only the group's budget forks). */
  fork(): HourBudget {
    if (this.parent) throw new Error('only the group\'s budget forks');
    return new HourBudget(this.open, this);
  }

  /** The line `add` touched last: a request's events mostly follow one another on one line. */
  private last: { hourMs: number; kind: UsageKind; key: string; hour: HourChange; line: LineChange } | null = null;

  /** Adds (part of) one event, its exact cost and tokens, to its line (kind and rollup line key) of `hourMs`. */
  add(hourMs: number, kind: UsageKind, key: string, exact: Exact, tokens: number): void {
    const last = this.last;
    if (last !== null && last.hourMs === hourMs && last.key === key && last.kind === kind) {
      last.hour.tokens += tokens;
      last.line.after += exact;
      return;
    }
    let hour = this.hours.get(hourMs);
    if (!hour) this.hours.set(hourMs, (hour = { lines: new Map(), tokens: this.tokensOf(hourMs) }));
    hour.tokens += tokens;
    const lineKey = eventLineKey(kind, key);
    let line = hour.lines.get(lineKey);
    if (line) line.after += exact;
    else {
      const before = this.lineOf(hourMs, lineKey);
      hour.lines.set(lineKey, (line = { before, after: before + exact }));
    }
    this.last = { hourMs, kind, key, hour, line };
  }

  /** The first limit what this layer added breaks (null: none), with the hour it is in. */
  breach(): { hourMs: number; breach: BudgetBreach } | null {
    for (const [hourMs, hour] of this.hours) {
      let micros = this.microsOf(hourMs);
      for (const line of hour.lines.values()) {
        if (line.after >= LINE_ABOVE) return { hourMs, breach: { limit: 'line', micros: roundMicros(line.after) } };
        micros += roundMicros(line.after) - roundMicros(line.before);
      }
      if (micros > MAX_HOUR_EVENT_MICROS) return { hourMs, breach: { limit: 'hour', micros } };
      if (hour.tokens > MAX_HOUR_TOKENS) return { hourMs, breach: { limit: 'tokens', tokens: hour.tokens } };
    }
    return null;
  }

  /** Adds this fork's events into its parent (checked by `breach()` first). */
  commit(): void {
    const parent = this.parent;
    if (!parent) return;
    for (const [hourMs, hour] of this.hours) {
      let micros = this.microsOf(hourMs);
      let into = parent.hours.get(hourMs);
      if (!into) parent.hours.set(hourMs, (into = { lines: new Map(), tokens: 0 }));
      into.tokens = hour.tokens;
      for (const [lineKey, line] of hour.lines) {
        micros += roundMicros(line.after) - roundMicros(line.before);
        const held = into.lines.get(lineKey);
        if (held) held.after = line.after;
        else into.lines.set(lineKey, { before: line.before, after: line.after });
      }
      parent.hourMicros.set(hourMs, micros);
    }
  }

  private lineOf(hourMs: number, lineKey: string): Exact {
    const line = this.hours.get(hourMs)?.lines.get(lineKey);
    if (line) return line.after;
    return this.parent ? this.parent.lineOf(hourMs, lineKey) : this.open.eventLineExact(hourMs, lineKey);
  }

  private tokensOf(hourMs: number): number {
    const hour = this.hours.get(hourMs);
    if (hour) return hour.tokens;
    return this.parent ? this.parent.tokensOf(hourMs) : this.open.eventHourTokens(hourMs);
  }

  /** The hour's rounded event lines as this layer found them: the group's so far, or the open hour's. */
  private microsOf(hourMs: number): number {
    return this.parent ? (this.parent.hourMicros.get(hourMs) ?? this.open.eventHourMicros(hourMs)) : this.open.eventHourMicros(hourMs);
  }
}

/** The refusal's text for a breach: `field` names the event's field in the request. */
export function breachMessage(field: string, breach: BudgetBreach, hourMs: number): string {
  const hour = new Date(hourMs).toISOString().slice(0, 13) + ':00Z';
  switch (breach.limit) {
    case 'event':
      return `${field}: the event would cost ${breach.micros} micros, more than one event may (${MAX_EVENT_MICROS} micros, 1,000,000 credits).`;
    case 'line':
      return `${field}: the hour ${hour} would hold ${breach.micros} micros on this event's line (its model, tools or charge), more than one line of an hour may (${MAX_LINE_HOUR_MICROS} micros, 2,000,000 credits).`;
    case 'hour':
      return `${field}: the hour ${hour} would hold ${breach.micros} micros of usage events, more than one hour of a workspace may (${MAX_HOUR_EVENT_MICROS} micros, 5,000,000 credits).`;
    case 'tokens':
      return `${field}: the hour ${hour} would hold ${breach.tokens} tokens, more than one hour of a workspace may (${MAX_HOUR_TOKENS}).`;
  }
}
