// The usage charts' scales and marks: round ticks, a window trimmed to the data, the open hour.
import { describe, expect, it } from 'vitest';
import { chartDomain, DAY_MS, HOUR_MS, moneyTicks } from './chart_scale';
import { balanceChart, spendChart } from './views/charts';

const NOW = Date.UTC(2026, 10, 30, 10, 25);
const WEEK_AGO = NOW - 7 * DAY_MS;
const zero = { instances: 0, storage: 0, model_tokens: 0, tools: 0, charges: 0 };

describe('moneyTicks', () => {
  it('steps by 1, 2 or 5 × 10^k micros up to the maximum', () => {
    expect(moneyTicks(12_000_000)).toEqual({ stepMicros: 5_000_000, topMicros: 15_000_000, ticks: [0, 5_000_000, 10_000_000, 15_000_000] });
    expect(moneyTicks(412_300).stepMicros).toBe(200_000);
    expect(moneyTicks(25_000_000).ticks).toEqual([0, 10_000_000, 20_000_000, 30_000_000]);
    expect(moneyTicks(3).ticks).toEqual([0, 1, 2, 3]);
    for (const max of [1, 7, 999, 123_456_789]) {
      const { ticks, topMicros } = moneyTicks(max);
      expect(topMicros).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeLessThanOrEqual(6);
    }
  });
});

describe('chartDomain', () => {
  it('trims a week to the hours since the first activity, hour by hour', () => {
    const d = chartDomain(WEEK_AGO, NOW, NOW - 20 * HOUR_MS);
    expect(d.bucketMs).toBe(HOUR_MS);
    expect(d.startMs).toBe(Date.UTC(2026, 10, 29, 13));
    expect(d.buckets).toBe(22);
    expect(d.openHourMs).toBe(Date.UTC(2026, 10, 30, 10));
  });

  it('keeps the whole period, day by day, when there is activity from its start', () => {
    const d = chartDomain(WEEK_AGO, NOW, WEEK_AGO);
    expect(d.bucketMs).toBe(DAY_MS);
    expect(d.buckets).toBe(8);
  });

  it('shows at least six hours when nothing happened yet', () => {
    const d = chartDomain(WEEK_AGO, NOW, null);
    expect(d.bucketMs).toBe(HOUR_MS);
    expect(d.buckets).toBe(7);
  });
});

describe('charts', () => {
  it('draws a young workspace as steps over its own hours, with round ticks, the open hour and a table', () => {
    const d = chartDomain(WEEK_AGO, NOW, NOW - 3 * HOUR_MS);
    const points = [
      { atMs: WEEK_AGO, balanceMicros: 0 },
      { atMs: NOW - 3 * HOUR_MS, balanceMicros: 25_000_000 },
      { atMs: NOW - 2 * HOUR_MS + 60_000, balanceMicros: 24_587_700 },
    ];
    const svg = String(balanceChart(points, d, { balanceMicros: 24_300_000, accumulatingMicros: 287_700 }));
    expect(svg).toMatch(/class="axis" text-anchor="end">\$0</);
    expect(svg).toMatch(/text-anchor="end">\$30</);
    expect(svg).toContain('class="balance-open"');
    expect(svg).toContain('>$24.30 now<');
    // Steps: only horizontal and vertical moves after the start.
    const line = /<path d="([^"]+)" class="balance-line"/.exec(svg)![1]!;
    expect(line).toMatch(/^M[\d.]+,[\d.]+( [HV][\d.]+)+$/);
    expect(svg).toContain('<caption>Balance over time</caption>');
    expect(svg).toContain('<td>$24.30</td>');

    const spend = String(spendChart([{ hourMs: NOW - 2 * HOUR_MS - 25 * 60_000, byCategory: { ...zero, model_tokens: 412_300 } }], d, { accumulatingMicros: 287_700 }));
    expect(spend).toContain('Hourly spend by category');
    expect(spend).toContain('data-testid="open-hour-bar"');
    expect(spend).toContain('>$0.29 so far<');
    expect(spend).toContain('data-testid="spend-last-label">$0.41<');
    // Bars are wide enough to read: 8 hourly buckets over the plot, not 168.
    const width = Number(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"[^>]*class="cat-model_tokens"/.exec(spend)![1]);
    expect(width).toBeGreaterThan(20);
    expect(spend).toMatch(/<tr><th scope="row">2026-11-30 08:00–09:00 UTC<\/th>(<td>[^<]+<\/td>){5}<td>\$0\.00<\/td><td>\$0\.41<\/td><\/tr>/);
    expect(spend).toMatch(/<tr><th scope="row">2026-11-30 10:00–11:00 UTC<\/th>.*<td>\$0\.29<\/td><td>\$0\.29<\/td><\/tr>/);
  });
});
