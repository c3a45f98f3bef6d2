// Each limited member's spend in the current period, known to the ledger object from memory so that
// a credit check, a hold or a deduction for the member needs no read:
//   settled hours' usage and direct debits (deductions, captures), by UTC hour: loaded from D1 with
//     the object's state (load_spend.ts), then kept up to date as debits commit and hours settle;
//   the open hours' usage: priced from the object's own rollups (cached until usage arrives) and
//     its running intervals;
//   the member's active holds (hold_book.ts).
// A period is a UTC day or calendar month, so it always starts on a whole hour: each hour belongs to
// exactly one period, and a period rolls over by simply counting from its new start.
import type { IntervalRow, RollupRow } from '../../../usage/price_hour';
import type { PriceBook } from '../../../usage/pricing';
import { simBroken } from '../../../lib/sim_hooks';
import { iso } from '../../../lib/time';
import type { LedgerFailure } from '../../ledger_result';
import { addTo, memberUsageByHour, type MemberHours } from './member_usage';
import { periodEndMs, periodStartMs, type LimitPeriod } from './periods';
import type { LimitRow, SpendRows } from './load_spend';

export interface SpendLimitView {
  memberId: string;
  limitMicros: number;
  period: LimitPeriod;
  spentMicros: number;
  heldMicros: number;
  remainingMicros: number;
  resetsAt: string;
}

/** What the object holds beside the tracker: its open usage, its price book, its holds per member. */
export interface SpendSources {
  settledThroughMs(): number;
  openRollups(): readonly RollupRow[];
  openIntervals(): readonly IntervalRow[];
  book(): PriceBook;
  memberHeldMicros(memberId: string, view?: object): number;
}

export class SpendTracker {
  readonly limits = new Map<string, LimitRow>();
  /** Settled usage and direct debits of limited members, by UTC hour. */
  private readonly recorded: MemberHours = new Map();
  /** Direct debits decided by a group not yet durable (keyed by the group's view). */
  private readonly overlays = new WeakMap<object, Map<string, number>>();
  /** The open hours' event usage per member, until usage arrives or hours settle. */
  private openEvents: MemberHours | null = null;

  constructor(private readonly sources: SpendSources) {}

  /** From D1's rows (load_spend.ts) and the object's price book. */
  static fromRows(rows: SpendRows, sources: SpendSources): SpendTracker {
    const tracker = new SpendTracker(sources);
    for (const l of rows.limits) tracker.limits.set(l.memberId, l);
    for (const d of rows.debits) addTo(tracker.recorded, d.memberId, d.hourMs, d.micros);
    const settled = memberUsageByHour(tracker.limits.keys(), rows.rollups, rows.intervals, sources.book(), rows.fromMs, Math.max(rows.fromMs, rows.settledThroughMs));
    for (const [memberId, hours] of settled) for (const [h, micros] of hours) addTo(tracker.recorded, memberId, h, micros);
    return tracker;
  }

  get empty(): boolean {
    return this.limits.size === 0;
  }

  // --- what happened -----------------------------------------------------------------------------

  /** A debit (deduction or capture) of the member decided in a group not yet durable. */
  debitIn(view: object, memberId: string, micros: number): void {
    if (!this.limits.has(memberId)) return;
    let o = this.overlays.get(view);
    if (!o) this.overlays.set(view, (o = new Map()));
    o.set(memberId, (o.get(memberId) ?? 0) + micros);
  }

  /** A debit of the member is durable (created at `atMs`). */
  debited(memberId: string | null, micros: number, atMs: number): void {
    if (memberId && this.limits.has(memberId)) addTo(this.recorded, memberId, Math.floor(atMs / 3_600_000) * 3_600_000, micros);
  }

  /** Usage events arrived, or a resource changed: the open hours are priced again when next asked. */
  usageChanged(): void {
    this.openEvents = null;
  }

  /**
   * Before the object settles the hours before `cutoffMs`: their usage per limited member, priced
   * from the rollups and intervals about to leave the object. `settled` then keeps the hours that
   * did settle.
   */
  closingHours(cutoffMs: number): MemberHours {
    if (this.empty) return new Map();
    const from = this.sources.settledThroughMs();
    return memberUsageByHour(this.limits.keys(), this.sources.openRollups(), this.sources.openIntervals(), this.sources.book(), from, Math.max(from, cutoffMs));
  }

  settled(closing: MemberHours): void {
    const through = this.sources.settledThroughMs();
    for (const [memberId, hours] of closing) for (const [h, micros] of hours) if (h < through) addTo(this.recorded, memberId, h, micros);
    this.openEvents = null;
    // Hours before last month's start count in no period any more.
    const keepFromMs = periodStartMs('month', periodStartMs('month', through) - 1);
    for (const hours of this.recorded.values()) for (const h of [...hours.keys()]) if (h < keepFromMs) hours.delete(h);
  }

  // --- limits ------------------------------------------------------------------------------------

  setLimit(row: LimitRow | null, memberId: string): void {
    if (row) this.limits.set(memberId, row);
    else this.limits.delete(memberId);
  }

  /** The member's spend in the period containing `nowMs` (holds aside), with what a group decided so far. */
  spentMicros(memberId: string, period: LimitPeriod, nowMs: number, view?: object): number {
    const fromMs = periodStartMs(period, nowMs);
    let total = 0;
    for (const [h, micros] of this.recorded.get(memberId) ?? []) if (h >= fromMs) total += micros;
    total += this.openMicros(memberId, fromMs, nowMs);
    if (view) total += this.overlays.get(view)?.get(memberId) ?? 0;
    return total;
  }

  /** The member's limit as the API shows it; null when the member has none. */
  view(memberId: string, nowMs: number): SpendLimitView | null {
    const limit = this.limits.get(memberId);
    if (!limit) return null;
    const spentMicros = this.spentMicros(memberId, limit.period, nowMs);
    const heldMicros = this.sources.memberHeldMicros(memberId);
    return {
      memberId,
      limitMicros: limit.limitMicros,
      period: limit.period,
      spentMicros,
      heldMicros,
      remainingMicros: Math.max(0, limit.limitMicros - spentMicros - heldMicros),
      resetsAt: iso(periodEndMs(limit.period, nowMs)),
    };
  }

  /** What the member may still spend now (Infinity without a limit): the limit less spend and holds. */
  remainingMicros(memberId: string, nowMs: number, view?: object): number {
    const limit = this.limits.get(memberId);
    if (!limit) return Number.POSITIVE_INFINITY;
    // (The simulator's broken rule leaves the member's holds out: test-only, SIM_HOOKS.)
    const heldMicros = simBroken('limit_ignores_holds') ? 0 : this.sources.memberHeldMicros(memberId, view);
    return limit.limitMicros - this.spentMicros(memberId, limit.period, nowMs, view) - heldMicros;
  }

  /** The refusal of a hold or deduction of `amountMicros` that would pass the member's limit (null: within it). */
  refusal(memberId: string | null | undefined, amountMicros: number, nowMs: number, view?: object): LedgerFailure | null {
    if (!memberId) return null;
    const remaining = this.remainingMicros(memberId, nowMs, view);
    if (amountMicros <= remaining) return null;
    const limit = this.limits.get(memberId)!;
    return {
      ok: false,
      code: 'spend_limit_exceeded',
      message: `Member ${memberId} has ${Math.max(0, remaining)} micros left of a ${limit.limitMicros} micros ${limit.period === 'day' ? 'daily' : 'monthly'} spend limit; ${amountMicros} micros would pass it.`,
    };
  }

  /** The members whose spend (with holds) has reached their limit now. */
  reachedMembers(nowMs: number): string[] {
    return [...this.limits.keys()].filter((m) => this.remainingMicros(m, nowMs) <= 0);
  }

  private openMicros(memberId: string, fromMs: number, nowMs: number): number {
    const settledThroughMs = this.sources.settledThroughMs();
    const start = Math.max(fromMs, settledThroughMs);
    this.openEvents ??= memberUsageByHour(this.limits.keys(), this.sources.openRollups(), [], this.sources.book(), settledThroughMs, Number.MAX_SAFE_INTEGER);
    let total = 0;
    for (const [h, micros] of this.openEvents.get(memberId) ?? []) if (h >= start) total += micros;
    const intervals = this.sources.openIntervals().filter((iv) => iv.memberId === memberId);
    if (intervals.length > 0) {
      for (const hours of memberUsageByHour([memberId], [], intervals, this.sources.book(), Math.floor(start / 3_600_000) * 3_600_000, nowMs).values()) {
        for (const micros of hours.values()) total += micros;
      }
    }
    return total;
  }
}
