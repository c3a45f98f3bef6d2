// Unit tests of the exact cost arithmetic: every cost is a BigInt numerator over DENOMINATOR
// (micros), summed without loss and rounded once, to the nearest micro, halves up.
import { describe, expect, it } from 'vitest';
import { DENOMINATOR, exactFromMicros, exactInstance, exactModel, exactStorage, hourOf, MS_PER_HOUR, mulDivFloor, mulDivRound, roundMicros } from './exact_cost';

const GB = 1_000_000_000;
const MONTH_MS = 730 * MS_PER_HOUR;

describe('DENOMINATOR', () => {
  it('is GB × 730 h × 3,600,000 ms, so every unit divides it', () => {
    expect(DENOMINATOR).toBe(1_000_000_000n * 730n * 3_600_000n);
    expect(DENOMINATOR % 1_000_000n).toBe(0n); // per token of a per-million price
    expect(DENOMINATOR % 3_600_000n).toBe(0n); // per ms of a per-hour price
  });
});

describe('roundMicros: nearest micro, halves up', () => {
  const D = DENOMINATOR;
  it.each([
    ['0', 0n, 0],
    ['exactly 7 micros', 7n * D, 7],
    ['7 micros + 1/D', 7n * D + 1n, 7],
    ['7.5 micros - 1/D (just under half)', 7n * D + D / 2n - 1n, 7],
    ['7.5 micros (a half goes up)', 7n * D + D / 2n, 8],
    ['7.5 micros + 1/D', 7n * D + D / 2n + 1n, 8],
    ['8 micros - 1/D', 8n * D - 1n, 8],
    ['0.5 micros', D / 2n, 1],
    ['0.5 micros - 1/D', D / 2n - 1n, 0],
    ['2^53 - 1 micros (largest exact JS integer)', BigInt(Number.MAX_SAFE_INTEGER) * D, Number.MAX_SAFE_INTEGER],
  ])('%s → %i', (_label, exact, micros) => {
    expect(roundMicros(exact)).toBe(micros);
  });

  it('refuses a negative cost', () => {
    expect(() => roundMicros(-1n)).toThrow(RangeError);
  });

  it('refuses a cost past 2^53 micros rather than answering a Number that is not it', () => {
    expect(roundMicros(exactFromMicros(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => roundMicros(exactFromMicros(Number.MAX_SAFE_INTEGER) + DENOMINATOR)).toThrow(RangeError);
    // The probe's event: 10^10 tokens at 10^12 µ per million tokens is 10^16 micros.
    expect(() => roundMicros(exactModel(10_000_000_000, 1_000_000_000_000))).toThrow(/beyond exact integers/);
  });

  it('multiplies then divides in BigInt, halves up (round) or down (floor)', () => {
    // 3,600,000 ms × 2.5×10^12 µ would be 9×10^18 on the way: a float product is not exact there.
    expect(mulDivRound(3_600_000, 2_500_000_000_001, 7_500_000_000_003)).toBe(1_200_000);
    expect(mulDivRound(1, 1, 2)).toBe(1);
    expect(mulDivRound(1, 1, 3)).toBe(0);
    expect(mulDivFloor(999_999_999_999_999, 3600, 1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(mulDivFloor(1_000_000_000_000_001, 3600, 3_600)).toBe(1_000_000_000_000_001); // 3.6e18 on the way
  });
});

describe('exact costs of one line, rounded once', () => {
  it.each([
    // model: tokens × micros per million tokens / 1,000,000
    ['1,000,000 tokens at 2,500,000 µ/M = 2,500,000', exactModel(1_000_000, 2_500_000), 2_500_000],
    ['1 token at 2,500,000 µ/M = 2.5 → 3', exactModel(1, 2_500_000), 3],
    ['3 tokens at 150,000 µ/M = 0.45 → 0', exactModel(3, 150_000), 0],
    ['999,999 tokens at 2,500,000 µ/M = 2,499,997.5 → 2,499,998', exactModel(999_999, 2_500_000), 2_499_998],
    ['1,000,001 tokens at 500,000 µ/M = 500,000.5 → 500,001', exactModel(1_000_001, 500_000), 500_001],
    ['5×10^8 tokens at 10^9 µ/M (both maxima) = 5×10^11 (beyond 2^53 on the way)', exactModel(500_000_000, 1_000_000_000), 500_000_000_000],
    // instance: ms × micros per hour / 3,600,000
    ['1 hour of cpu-small (36,000 µ/h)', exactInstance(MS_PER_HOUR, 36_000), 36_000],
    ['50 ms of cpu-small = 50 × 0.01 = 0.5 → 1', exactInstance(50, 36_000), 1],
    ['49 ms of cpu-small = 0.49 → 0', exactInstance(49, 36_000), 0],
    ['1,200,006 ms of gpu-a10g = 1,200,006 × 11/36 = 366,668.5 → 366,669', exactInstance(1_200_006, 1_100_000), 366_669],
    ['593,000 ms of gpu-a10g = 181,194.44… → 181,194', exactInstance(593_000, 1_100_000), 181_194],
    // storage: bytes × ms × micros per GB-month / (10^9 × 730 × 3,600,000)
    ['1 GB for a 730-hour month at 100,000 µ = 100,000', exactStorage(GB, MONTH_MS, 100_000), 100_000],
    ['250 GB for 1 hour at 100,000 = 25,000,000 / 730 = 34,246.58 → 34,247', exactStorage(250 * GB, MS_PER_HOUR, 100_000), 34_247],
    ['1 GB × 365 h at 1 µ/GB-month = 0.5 → 1', exactStorage(GB, 365 * MS_PER_HOUR, 1), 1],
    ['1 GB × (365 h - 1 ms) at 1 µ/GB-month < 0.5 → 0', exactStorage(GB, 365 * MS_PER_HOUR - 1, 1), 0],
    // flat micros
    ['a 12,345 µ charge', exactFromMicros(12_345), 12_345],
  ])('%s', (_label, exact, micros) => {
    expect(roundMicros(exact)).toBe(micros);
  });
});

describe('sums are exact: many tiny fractions rounded once, not per event', () => {
  it('1,000,000 one-token events at 1 µ/M sum to exactly 1 µ (per-event rounding gives 0)', () => {
    let exact = 0n;
    let perEvent = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const e = exactModel(1, 1);
      exact += e;
      perEvent += roundMicros(e);
    }
    expect(exact).toBe(DENOMINATOR); // exactly one micro, no drift
    expect(roundMicros(exact)).toBe(1);
    expect(perEvent).toBe(0);
  });

  it('999,999 one-token events at 2.5 µ/tok: 2,499,997.5 rounds up once to 2,499,998 (per event: 2,999,997)', () => {
    let exact = 0n;
    let perEvent = 0;
    for (let i = 0; i < 999_999; i++) {
      const e = exactModel(1, 2_500_000);
      exact += e;
      perEvent += roundMicros(e); // 2.5 → 3 each time
    }
    expect(exact).toBe(exactModel(999_999, 2_500_000));
    expect(roundMicros(exact)).toBe(2_499_998);
    expect(perEvent).toBe(2_999_997);
  });

  it('3,600,000 one-ms slices of cpu-small sum to exactly one hour (36,000 µ)', () => {
    let exact = 0n;
    for (let i = 0; i < MS_PER_HOUR; i++) exact += exactInstance(1, 36_000);
    expect(exact).toBe(exactInstance(MS_PER_HOUR, 36_000));
    expect(roundMicros(exact)).toBe(36_000);
  });

  it('one byte for one ms, added up over a GB-month, is the monthly price exactly', () => {
    // 1 byte × 1 ms at 100,000 µ/GB-month is 100,000 / (10^9 × 2.628 × 10^9) µ: far below a micro.
    const tiny = exactStorage(1, 1, 100_000);
    expect(roundMicros(tiny)).toBe(0);
    expect(tiny * BigInt(GB) * BigInt(MONTH_MS)).toBe(exactFromMicros(100_000));
  });

  it('a third of a micro three times is one micro (floats would give 0.9999…)', () => {
    // 1 ms at 1,200,000 µ/h = 1/3 µ
    const third = exactInstance(1, 1_200_000);
    expect(third * 3n).toBe(DENOMINATOR);
    expect(roundMicros(third + third + third)).toBe(1);
    expect(roundMicros(third)).toBe(0);
  });
});

describe('hourOf', () => {
  const h = Date.UTC(2026, 10, 21, 10);
  it.each([
    ['the hour start itself', h, h],
    ['one ms into the hour', h + 1, h],
    ['the last ms of the hour', h + MS_PER_HOUR - 1, h],
    ['the next hour start', h + MS_PER_HOUR, h + MS_PER_HOUR],
  ])('%s', (_label, ms, expected) => {
    expect(hourOf(ms)).toBe(expected);
  });
});
