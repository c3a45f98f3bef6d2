import { describe, expect, it } from 'vitest';
import { formatHoursRemaining, formatMicros, parseDollarsToCents } from './format';

describe('dashboard formatting', () => {
  it('shows micros as dollars, half up to the cent, keeping sub-cent amounts visible', () => {
    expect(formatMicros(25_000_000)).toBe('$25.00');
    expect(formatMicros(1_234_565_000)).toBe('$1,234.57');
    expect(formatMicros(1_234_564_999)).toBe('$1,234.56');
    expect(formatMicros(-3_000_000)).toBe('-$3.00');
    expect(formatMicros(3_000_000, { signed: true })).toBe('+$3.00');
    expect(formatMicros(1_234)).toBe('$0.001234');
    expect(formatMicros(100)).toBe('$0.0001');
    expect(formatMicros(0)).toBe('$0.00');
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
