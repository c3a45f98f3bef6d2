// Simulated time: while a run lasts, Date.now in this isolate (the test, the Worker and its ledger
// objects all run in it) answers the simulator's clock, which moves only when the simulator moves
// it. So settlement, enforcement, alarms and timestamps see simulated hours pass, and a seed's run
// does the same thing at the same simulated instants every time.
//
// The clock starts at least an hour ahead of the wall clock and only moves forward: every alarm a
// ledger object arms is then in workerd's future, so none fires by itself; the simulator fires them
// (runDurableObjectAlarm) when it decides to. Stripe's emulator keeps the wall clock: reconciliation
// lists its events from 30 days before the simulated now, which covers every run (< 30 days).

export const HOUR_MS = 3_600_000;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

const realNow = Date.now.bind(Date);
/** Where the last run left the clock: the next run starts after it (time never goes back in the isolate). */
let lastEndMs = 0;

export class SimClock {
  readonly baseMs: number;
  private nowMs: number;

  constructor() {
    this.baseMs = Math.max(hourOf(realNow()) + 2 * HOUR_MS, hourOf(lastEndMs) + 2 * HOUR_MS);
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
