import { describe, expect, it } from 'vitest';
import { dollarsFromCents } from './money';

describe('dollarsFromCents', () => {
  it('writes whole cents as dollars with two decimals, as the ledger descriptions show them', () => {
    expect(dollarsFromCents(2500)).toBe('$25.00');
    expect(dollarsFromCents(5)).toBe('$0.05');
    expect(dollarsFromCents(100_050)).toBe('$1000.50');
    expect(dollarsFromCents(1_000_000)).toBe('$10000.00');
    expect(dollarsFromCents(0)).toBe('$0.00');
  });
});
