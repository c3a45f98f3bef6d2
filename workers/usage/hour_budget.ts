import { MAX_EVENT_MICROS, MAX_HOUR_EVENT_MICROS, MAX_HOUR_TOKENS, MAX_LINE_HOUR_MICROS } from './amount_limits';
import { roundMicros, type Exact } from './exact_cost';
import type { OpenEventAmounts } from './open_usage';

/** Which limit an event would break (amount_limits.ts), and by how much the line or hour would hold. */
export type BudgetBreach =
  | { limit: 'event'; micros: number }
  | { limit: 'line'; micros: number }
  | { limit: 'hour'; micros: number }
  | { limit: 'tokens'; tokens: number };

/**
 * What the open hours' event lines would hold with a group's events added, checked against the
 * limits event by event. The group's accepted requests build on one another: each request works on a
 * `fork()` and, once accepted whole, `commit()`s it into its parent; a refused request's fork is
 * dropped, so nothing of it counts.
 */
export class HourBudget {
  private readonly lines = new Map<string, Exact>();
  private readonly hourMicros = new Map<number, number>();
  private readonly hourTokens = new Map<number, number>();

  constructor(
    private readonly open: OpenEventAmounts,
    private readonly parent: HourBudget | null = null,
  ) {}

  fork(): HourBudget {
    return new HourBudget(this.open, this);
  }

  /** Adds this fork's events into its parent. */
  commit(): void {
    const parent = this.parent;
    if (!parent) return;
    for (const [k, v] of this.lines) parent.lines.set(k, v);
    for (const [k, v] of this.hourMicros) parent.hourMicros.set(k, v);
    for (const [k, v] of this.hourTokens) parent.hourTokens.set(k, v);
  }

  /**
   * Adds (part of) one event, its exact cost and tokens, to `lineKey` of `hourMs` when the line,
   * hour and token limits hold; otherwise adds nothing and answers the first limit it would break.
   */
  add(hourMs: number, lineKey: string, exact: Exact, tokens: number): BudgetBreach | null {
    const key = `${hourMs}|${lineKey}`;
    const before = this.line(key, hourMs, lineKey);
    const after = before + exact;
    const lineMicros = roundMicros(after);
    if (lineMicros > MAX_LINE_HOUR_MICROS) return { limit: 'line', micros: lineMicros };
    const hourMicros = this.hour(hourMs) - roundMicros(before) + lineMicros;
    if (hourMicros > MAX_HOUR_EVENT_MICROS) return { limit: 'hour', micros: hourMicros };
    const hourTokens = this.tokens(hourMs) + tokens;
    if (hourTokens > MAX_HOUR_TOKENS) return { limit: 'tokens', tokens: hourTokens };
    this.lines.set(key, after);
    this.hourMicros.set(hourMs, hourMicros);
    this.hourTokens.set(hourMs, hourTokens);
    return null;
  }

  private line(key: string, hourMs: number, lineKey: string): Exact {
    return this.lines.get(key) ?? (this.parent ? this.parent.line(key, hourMs, lineKey) : this.open.eventLineExact(hourMs, lineKey));
  }

  private hour(hourMs: number): number {
    return this.hourMicros.get(hourMs) ?? (this.parent ? this.parent.hour(hourMs) : this.open.eventHourMicros(hourMs));
  }

  private tokens(hourMs: number): number {
    return this.hourTokens.get(hourMs) ?? (this.parent ? this.parent.tokens(hourMs) : this.open.eventHourTokens(hourMs));
  }
}

/** One event's own limit, on its exact cost (every list stored before the price bounds included). */
export function eventBreach(exact: Exact): BudgetBreach | null {
  const micros = roundMicros(exact);
  return micros > MAX_EVENT_MICROS ? { limit: 'event', micros } : null;
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
