// Simulated time: while a run lasts, Date.now in this isolate (the test, the Worker and its ledger
// objects all run in it) answers the simulator's clock, which moves only when the simulator moves
// it. So settlement, enforcement, alarms and timestamps see simulated hours pass, and a seed's run
// does the same thing at the same simulated instants every time.
//
// The clock starts at least an hour ahead of the wall clock (up to a month: see the constructor) and only moves forward: every alarm a
// ledger object arms is then in workerd's future, so none fires by itself; the simulator fires them
// (runDurableObjectAlarm) when it decides to. Stripe's emulator keeps the wall clock: reconciliation
// lists its events from 30 days before the simulated now, which covers every run (< 30 days).

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/** Where a run starts relative to a UTC month start: 20:00 UTC on the day before the day before it. */
export const START_BEFORE_MONTH_MS = 28 * HOUR_MS;

/** The first UTC month start at or after `ms`. */
export function monthStartAtOrAfter(ms: number): number {
  const d = new Date(ms);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return start >= ms ? start : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The next UTC midnight after `ms`. */
export const nextMidnight = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS + DAY_MS;

const realNow = Date.now.bind(Date);
/** Where the last run left the clock: the next run starts after it (time never goes back in the isolate). */
let lastEndMs = 0;

export class SimClock {
  readonly baseMs: number;
  private nowMs: number;

  constructor() {
    // Spend limits count by UTC day and calendar month, so a run starts at the same place in both
    // (28 h before a month start: a UTC midnight 4 h in, the month start a day later), or the same
    // seed would cross them at other steps on other dates (and the digest would differ).
    const earliest = Math.max(hourOf(realNow()) + 2 * HOUR_MS, hourOf(lastEndMs) + 2 * HOUR_MS);
    this.baseMs = monthStartAtOrAfter(earliest + START_BEFORE_MONTH_MS) - START_BEFORE_MONTH_MS;
    this.nowMs = this.baseMs;
  }

  now(): number {
    return this.nowMs;
  }

  advance(ms: number): void {
    this.nowMs += ms;
    lastEndMs = Math.max(lastEndMs, this.nowMs);
  }

  install(): void {
    Date.now = () => this.nowMs;
  }

  uninstall(): void {
    Date.now = realNow;
    lastEndMs = Math.max(lastEndMs, this.nowMs);
  }

  /** A time as an offset from the run's start: what the trace and the digest show. */
  rel(ms: number | null): string {
    if (ms === null) return '-';
    return `+${Math.round((ms - this.baseMs) / 1000)}s`;
  }
}
