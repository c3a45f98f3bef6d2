import { describe, expect, it } from 'vitest';
import { formatHoursRemaining, formatMicros, formatMicrosExact, formatMicrosPrecise, formatRate, formatRunsOutAt, parseDollarsToCents } from './format';

describe('dashboard formatting', () => {
  it('shows every amount with two decimals, half up to the cent, and a tiny one as <$0.01', () => {
    expect(formatMicros(25_000_000)).toBe('$25.00');
    expect(formatMicros(1_234_565_000)).toBe('$1,234.57');
    expect(formatMicros(1_234_564_999)).toBe('$1,234.56');
    expect(formatMicros(-3_000_000)).toBe('-$3.00');
    expect(formatMicros(3_000_000, { signed: true })).toBe('+$3.00');
    expect(formatMicros(5_000)).toBe('$0.01');
    expect(formatMicros(4_999)).toBe('<$0.01');
    expect(formatMicros(-1_234, { signed: true })).toBe('-<$0.01');
    expect(formatMicros(100)).toBe('<$0.01');
    expect(formatMicros(0)).toBe('$0.00');
    // One column, one precision: whatever the amounts, two decimals (or the tiny-amount mark).
    for (const micros of [1, 1_234, 12_345, 123_456, 1_234_567, 820_000, 50_000_000, -1_840_000, 999_999_999_999]) {
      expect(formatMicros(micros, { signed: true })).toMatch(/^[+-]?(\$[\d,]+\.\d{2}|<\$0\.01)$/);
    }
  });

  it('shows the exact amount to the micro, and rates and scales as precisely as they need', () => {
    expect(formatMicrosExact(1_234)).toBe('$0.001234');
    expect(formatMicrosExact(-1_234_565_000)).toBe('-$1,234.565000');
    expect(formatMicrosExact(50_000_000, { signed: true })).toBe('+$50.000000');
    expect(formatMicrosPrecise(820_000)).toBe('$0.82');
    expect(formatMicrosPrecise(5_479)).toBe('$0.005479');
    expect(formatMicrosPrecise(5_000_000)).toBe('$5.00');
    expect(formatMicrosPrecise(2_500)).toBe('$0.0025');
    expect(formatRate(54_795)).toBe('$0.0548/hour');
    expect(formatRate(5_479)).toBe('$0.0055/hour');
    expect(formatRate(820_000)).toBe('$0.82/hour');
    expect(formatRate(0)).toBe('$0.00/hour');
  });

  it('says when the balance runs out, in UTC', () => {
    const now = Date.parse('2026-12-07T14:24:00.000Z');
    expect(formatRunsOutAt(now, 8 / 60)).toBe('14:32 UTC');
    expect(formatRunsOutAt(now, 20)).toBe('2026-12-08 10:24 UTC');
    expect(formatRunsOutAt(now, null)).toBeNull();
  });

  it('reads typed dollars as whole cents, or refuses them', () => {
    expect(parseDollarsToCents('25')).toBe(2500);
    expect(parseDollarsToCents('$1,000.5')).toBe(100_050);
    expect(parseDollarsToCents(' 4.99 ')).toBe(499);
    expect(parseDollarsToCents('0.1')).toBe(10);
    for (const bad of ['', 'abc', '1.234', '-5', '1e3', '5.']) expect(parseDollarsToCents(bad)).toBeNull();
  });

  it('shows hours remaining as days and hours', () => {
    expect(formatHoursRemaining(null)).toBe('No burn');
    expect(formatHoursRemaining(0.5)).toBe('30 min');
    expect(formatHoursRemaining(5.9)).toBe('5 h');
    expect(formatHoursRemaining(76.2)).toBe('3 d 4 h');
  });
});

describe('formatLineQuantity', () => {
  it('shows storage in GB-hours, time in whole seconds, the rest as counted', async () => {
    const { formatLineQuantity } = await import('./format');
    expect(formatLineQuantity(48_909_800_000_000, 'byte_seconds')).toBe('13.586 GB-hours');
    expect(formatLineQuantity(1222.776, 'seconds')).toBe('1,223 seconds');
    expect(formatLineQuantity(15_500, 'tokens')).toBe('15,500 tokens');
  });
});
