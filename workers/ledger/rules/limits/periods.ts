// Spend-limit periods: the UTC day or the calendar month (UTC) that contains an instant.
export type LimitPeriod = 'day' | 'month';

const DAY_MS = 86_400_000;

/** Start of the period containing `nowMs` (always a whole UTC hour, so settled hours never straddle two). */
export function periodStartMs(period: LimitPeriod, nowMs: number): number {
  if (period === 'day') return Math.floor(nowMs / DAY_MS) * DAY_MS;
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the next period: when the limit resets. */
export function periodEndMs(period: LimitPeriod, nowMs: number): number {
  if (period === 'day') return periodStartMs('day', nowMs) + DAY_MS;
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
