// Unit tests of the price book: which version is in force at an instant, and how a stretch of
// time splits at price changes.
import { describe, expect, it } from 'vitest';
import { PriceBook, PricingSchema, type Pricing } from './pricing';

const T = Date.UTC(2026, 10, 21, 10); // an hour start
const MIN = 60_000;

const pricing = (gpt4oInput: number, cpuSmall: number): Pricing => ({
  models: [{ model: 'gpt-4o', inputMicrosPerMillionTokens: gpt4oInput, outputMicrosPerMillionTokens: 10_000_000 }],
  instanceTypes: [{ instanceType: 'cpu-small', microsPerHour: cpuSmall }],
  storage: { microsPerGbMonth: 100_000 },
  toolExecution: { microsPerExecution: 1_000 },
});
const row = (version: number, effectiveFromMs: number, p: Pricing) => ({ version, effectiveFromMs, pricingJson: JSON.stringify(p) });

// v1 from the epoch, v2 from T + 20 min, v3 from T + 40 min; given out of order on purpose (the
// loader reads newest first).
const book = new PriceBook([row(3, T + 40 * MIN, pricing(3, 300)), row(1, 0, pricing(1, 100)), row(2, T + 20 * MIN, pricing(2, 200))]);

describe('PriceBook.at', () => {
  it.each([
    ['the epoch', 0, 1],
    ['long before the first change', T - 1, 1],
    ['the last ms before v2', T + 20 * MIN - 1, 1],
    ['the very ms v2 takes effect', T + 20 * MIN, 2],
    ['between v2 and v3', T + 30 * MIN, 2],
    ['the very ms v3 takes effect', T + 40 * MIN, 3],
    ['long after', T + 1_000 * MIN, 3],
  ])('at %s → v%i', (_label, ms, version) => {
    const v = book.at(ms);
    expect(v.version).toBe(version);
    // The maps are built from that version's own list.
    expect(v.models.get('gpt-4o')).toEqual({ input: version, output: 10_000_000 });
    expect(v.instanceTypes.get('cpu-small')).toBe(version * 100);
  });

  it('sorts versions by effective time whatever order the rows come in', () => {
    expect(book.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(book.latest.version).toBe(3);
    expect(book.latestVersion).toBe(3);
  });

  it('two versions effective at the same instant: the later version wins', () => {
    const tie = new PriceBook([row(1, 0, pricing(1, 100)), row(2, T, pricing(2, 200)), row(3, T, pricing(3, 300))]);
    expect(tie.at(T).version).toBe(3);
    expect(tie.segments(T - MIN, T + MIN).map((s) => s.prices.version)).toEqual([1, 3]);
  });

  it('byVersion finds any version and refuses an unknown one', () => {
    expect(book.byVersion(2).effectiveFromMs).toBe(T + 20 * MIN);
    expect(() => book.byVersion(4)).toThrow(/unknown price version 4/);
  });

  it('an empty book is an error', () => {
    expect(() => new PriceBook([])).toThrow(/no price list/);
  });
});

describe('PriceBook.segments', () => {
  const seg = (fromMs: number, toMs: number) => book.segments(fromMs, toMs).map((s) => [s.fromMs - T, s.toMs - T, s.prices.version]);
  it.each([
    ['a stretch with no change inside', T, T + 10 * MIN, [[0, 10 * MIN, 1]]],
    ['a whole hour across two changes', T, T + 60 * MIN, [[0, 20 * MIN, 1], [20 * MIN, 40 * MIN, 2], [40 * MIN, 60 * MIN, 3]]],
    ['a stretch that starts exactly at a change', T + 20 * MIN, T + 30 * MIN, [[20 * MIN, 30 * MIN, 2]]],
    ['a stretch that ends exactly at a change', T + 10 * MIN, T + 20 * MIN, [[10 * MIN, 20 * MIN, 1]]],
    ['one ms on each side of a change', T + 20 * MIN - 1, T + 20 * MIN + 1, [[20 * MIN - 1, 20 * MIN, 1], [20 * MIN, 20 * MIN + 1, 2]]],
    ['an empty stretch', T + 5 * MIN, T + 5 * MIN, []],
    ['a reversed stretch', T + 5 * MIN, T, []],
  ])('%s', (_label, fromMs, toMs, expected) => {
    expect(seg(fromMs, toMs)).toEqual(expected);
  });

  it('segments tile the stretch exactly (no gap, no overlap)', () => {
    const parts = book.segments(T - 7, T + 61 * MIN + 3);
    expect(parts[0]!.fromMs).toBe(T - 7);
    expect(parts[parts.length - 1]!.toMs).toBe(T + 61 * MIN + 3);
    for (let i = 1; i < parts.length; i++) expect(parts[i]!.fromMs).toBe(parts[i - 1]!.toMs);
    for (const p of parts) expect(p.prices.version).toBe(book.at(p.fromMs).version);
  });
});

describe('PricingSchema', () => {
  const base = pricing(1, 100);
  it.each([
    ['a valid list', base, true],
    ['a model listed twice', { ...base, models: [...base.models, ...base.models] }, false],
    ['an instance type listed twice', { ...base, instanceTypes: [...base.instanceTypes, ...base.instanceTypes] }, false],
    ['a fractional price', { ...base, storage: { microsPerGbMonth: 0.5 } }, false],
    ['a negative price', { ...base, toolExecution: { microsPerExecution: -1 } }, false],
    ['a model name with a space', { ...base, models: [{ model: 'gpt 4o', inputMicrosPerMillionTokens: 1, outputMicrosPerMillionTokens: 1 }] }, false],
    ['a free model (price 0)', { ...base, models: [{ model: 'free-1', inputMicrosPerMillionTokens: 0, outputMicrosPerMillionTokens: 0 }] }, true],
  ])('%s → valid: %s', (_label, input, valid) => {
    expect(PricingSchema.safeParse(input).success).toBe(valid);
  });
});

describe('PriceBook.instanceRate and modelPrice: the one rule for a price a version lacks', () => {
  const withdrawn: Pricing = { ...pricing(2, 200), instanceTypes: [{ instanceType: 'gpu-a10g', microsPerHour: 900 }] };
  // cpu-small listed by v1 (100) and v2 (200), withdrawn in v3; gpu-a10g only in v3.
  const book3 = new PriceBook([row(1, 0, pricing(1, 100)), row(2, T, pricing(2, 200)), row(3, T + 30 * MIN, withdrawn)]);

  it('answers the rate the version lists', () => {
    expect(book3.instanceRate(book3.byVersion(1), 'cpu-small')).toBe(100);
    expect(book3.instanceRate(book3.byVersion(3), 'gpu-a10g')).toBe(900);
  });

  it('keeps a withdrawn type at the last rate it was listed at (v2, not v1)', () => {
    expect(book3.instanceRate(book3.byVersion(3), 'cpu-small')).toBe(200);
  });

  it('refuses a type no version at or before the one asked ever listed', () => {
    expect(() => book3.instanceRate(book3.byVersion(2), 'gpu-a10g')).toThrow(/gpu-a10g has no price in version 2 or before/);
    expect(() => book3.instanceRate(book3.byVersion(3), 'tpu-v9')).toThrow(/tpu-v9/);
  });

  it('prices a model by the version the event was priced against, and refuses one it does not list', () => {
    expect(book3.modelPrice(2, 'gpt-4o')).toEqual({ input: 2, output: 10_000_000 });
    expect(() => book3.modelPrice(1, 'claude-sonnet-4')).toThrow(/claude-sonnet-4 has no price in version 1/);
  });
});
