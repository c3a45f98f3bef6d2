// What each member's usage cost, hour by hour: the member's own rollups and intervals priced the
// way my-usage prices them (usage/usage_report.ts: each line of each hour rounded once).
import { hourOf, MS_PER_HOUR } from '../../../usage/exact_cost';
import { priceHour, type IntervalRow, type RollupRow } from '../../../usage/price_hour';
import type { PriceBook } from '../../../usage/pricing';

/** memberId → hour → micros */
export type MemberHours = Map<string, Map<number, number>>;

export function addTo(target: MemberHours, memberId: string, hourMs: number, micros: number): void {
  if (micros === 0) return;
  let hours = target.get(memberId);
  if (!hours) target.set(memberId, (hours = new Map()));
  hours.set(hourMs, (hours.get(hourMs) ?? 0) + micros);
}

/**
 * The usage of each of `memberIds` in every hour of [fromMs, toMs) (fromMs a whole hour), from
 * rollups and intervals: lines of rollups (models, tools, charges) and of intervals (instances,
 * volumes) never mix, so either may be priced alone.
 */
export function memberUsageByHour(
  memberIds: Iterable<string>,
  rollups: readonly RollupRow[],
  intervals: readonly IntervalRow[],
  book: PriceBook,
  fromMs: number,
  toMs: number,
): MemberHours {
  const out: MemberHours = new Map();
  for (const memberId of memberIds) {
    const own = rollups.filter((r) => r.memberId === memberId && r.hourMs >= fromMs && r.hourMs < toMs);
    const ivs = intervals.filter((iv) => iv.memberId === memberId);
    const hours = new Set(own.map((r) => r.hourMs));
    for (const iv of ivs) {
      const start = hourOf(Math.max(iv.startedAtMs, fromMs));
      const end = Math.min(iv.stoppedAtMs ?? toMs, toMs);
      for (let h = start; h < end; h += MS_PER_HOUR) hours.add(h);
    }
    for (const h of hours) {
      let micros = 0;
      for (const line of priceHour(h, Math.min(h + MS_PER_HOUR, toMs), own, ivs, book)) micros += line.costMicros;
      addTo(out, memberId, h, micros);
    }
  }
  return out;
}
