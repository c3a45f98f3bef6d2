// The scales of the usage charts: the time window actually worth drawing, its buckets, and round
// money ticks. Money stays integer micros here; only pixel positions are fractional.

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Windows up to this long are drawn hour by hour; longer ones day by day (UTC). */
const HOURLY_UP_TO_MS = 48 * HOUR_MS;
/** Even a workspace created a minute ago gets a few hours of axis, so one bar is not the whole chart. */
const MIN_SPAN_MS = 6 * HOUR_MS;

export interface ChartDomain {
  startMs: number;
  endMs: number;
  bucketMs: number;
  buckets: number;
  /** The start of the hour that is still open (its usage is accumulating, not settled). */
  openHourMs: number;
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/**
 * The period [fromMs, toMs] trimmed to where there is something to show: a workspace with two days
 * of history gets two days of axis (in hours), not a flat line across 28 empty days and a spike at
 * the end. firstActivityMs is the first change in the period (null when none; a non-zero balance
 * before the period counts as activity from its start).
 */
export function chartDomain(fromMs: number, toMs: number, firstActivityMs: number | null): ChartDomain {
  const wanted = firstActivityMs === null ? toMs - MIN_SPAN_MS : Math.min(floorTo(firstActivityMs, HOUR_MS) - HOUR_MS, toMs - MIN_SPAN_MS);
  let startMs = Math.max(fromMs, wanted);
  const bucketMs = toMs - startMs <= HOURLY_UP_TO_MS ? HOUR_MS : DAY_MS;
  // Whole buckets: the first day may begin before the period (its earlier part is simply empty).
  startMs = floorTo(startMs, bucketMs);
  const buckets = Math.max(1, Math.ceil((toMs - startMs) / bucketMs));
  return { startMs, endMs: toMs, bucketMs, buckets, openHourMs: floorTo(toMs, HOUR_MS) };
}

/** The index of the bucket holding atMs (clamped into the domain). */
export function bucketOf(domain: ChartDomain, atMs: number): number {
  return Math.min(domain.buckets - 1, Math.max(0, Math.floor((atMs - domain.startMs) / domain.bucketMs)));
}

export const bucketStartMs = (domain: ChartDomain, index: number) => domain.startMs + index * domain.bucketMs;

/**
 * Round ticks from 0 to at least maxMicros: a step of 1, 2 or 5 × 10^k micros giving at most five
 * intervals ($0.50, $1, $2, $5, $10 … — or sub-cent steps for tiny amounts).
 */
export function moneyTicks(maxMicros: number): { stepMicros: number; topMicros: number; ticks: number[] } {
  const target = Math.max(1, Math.ceil(maxMicros / 4));
  let stepMicros = 1;
  for (let power = 1; stepMicros < target; power *= 10) {
    stepMicros = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= target) ?? 10 * power;
  }
  const intervals = Math.max(1, Math.ceil(maxMicros / stepMicros));
  const ticks = Array.from({ length: intervals + 1 }, (_, i) => i * stepMicros);
  return { stepMicros, topMicros: intervals * stepMicros, ticks };
}
