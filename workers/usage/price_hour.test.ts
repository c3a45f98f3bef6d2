// Unit tests of hour pricing: one line per model, one for tools, one per charge, one per instance
// and per volume, each an exact sum rounded once; price changes inside the hour; hour boundaries;
// and how a short balance is split over the lines (runtime forgiven first).
import { describe, expect, it } from 'vitest';
import { MS_PER_HOUR } from './exact_cost';
import { allocate, describeHour, priceHour, type IntervalRow, type PricedLine, type RollupRow } from './price_hour';
import { PriceBook, type Pricing } from './pricing';

const H = Date.UTC(2026, 10, 21, 10); // the hour priced
const MIN = 60_000;
const GB = 1_000_000_000;
const HALF = H + 30 * MIN; // v2 takes effect half way through H

const v1: Pricing = {
  models: [
    { model: 'gpt-4o', inputMicrosPerMillionTokens: 2_500_000, outputMicrosPerMillionTokens: 10_000_000 },
    { model: 'gpt-4o-mini', inputMicrosPerMillionTokens: 150_000, outputMicrosPerMillionTokens: 600_000 },
  ],
  instanceTypes: [
    { instanceType: 'cpu-small', microsPerHour: 36_000 }, // 0.01 µ/ms
    { instanceType: 'gpu-a100', microsPerHour: 3_600_000 }, // 1 µ/ms
  ],
  storage: { microsPerGbMonth: 100_000 },
  toolExecution: { microsPerExecution: 1_000 },
};
// v2: gpt-4o doubles, gpt-4o-mini drops to a third, gpu-a100 doubles, storage doubles, tools double,
// cpu-small is withdrawn.
const v2: Pricing = {
  models: [
    { model: 'gpt-4o', inputMicrosPerMillionTokens: 5_000_000, outputMicrosPerMillionTokens: 20_000_000 },
    { model: 'gpt-4o-mini', inputMicrosPerMillionTokens: 50_000, outputMicrosPerMillionTokens: 200_000 },
  ],
  instanceTypes: [{ instanceType: 'gpu-a100', microsPerHour: 7_200_000 }],
  storage: { microsPerGbMonth: 200_000 },
  toolExecution: { microsPerExecution: 2_000 },
};
const book = new PriceBook([
  { version: 1, effectiveFromMs: 0, pricingJson: JSON.stringify(v1) },
  { version: 2, effectiveFromMs: HALF, pricingJson: JSON.stringify(v2) },
]);
const v1Only = new PriceBook([{ version: 1, effectiveFromMs: 0, pricingJson: JSON.stringify(v1) }]);

const rollup = (r: Partial<RollupRow> & Pick<RollupRow, 'kind' | 'lineKey'>): RollupRow => ({
  hourMs: H,
  memberId: 'mem_a',
  priceVersion: 1,
  inputTokens: 0,
  outputTokens: 0,
  count: 1,
  amountMicros: 0,
  description: null,
  ...r,
});
const instance = (resourceId: string, instanceType: string, startedAtMs: number, stoppedAtMs: number | null, memberId = 'mem_a'): IntervalRow => ({
  resourceId,
  memberId,
  kind: 'instance',
  instanceType,
  sizeBytes: null,
  startedAtMs,
  stoppedAtMs,
});
const volume = (resourceId: string, sizeBytes: number, startedAtMs: number, stoppedAtMs: number | null): IntervalRow => ({
  resourceId,
  memberId: 'mem_a',
  kind: 'volume',
  instanceType: null,
  sizeBytes,
  startedAtMs,
  stoppedAtMs,
});
const summary = (lines: PricedLine[]) => lines.map((l) => [l.kind, l.lineKey, l.costMicros]);
const wholeHour = (rollups: RollupRow[], intervals: IntervalRow[] = [], b = v1Only) => priceHour(H, H + MS_PER_HOUR, rollups, intervals, b);

describe('priceHour: one line per model, for tools, per charge', () => {
  const lines = wholeHour([
    // gpt-4o from two members: 1000 in × 2.5 + 100 out × 10 = 3,500 and 1 in × 2.5 = 2.5
    rollup({ kind: 'model', lineKey: 'gpt-4o', inputTokens: 1000, outputTokens: 100, count: 2 }),
    rollup({ kind: 'model', lineKey: 'gpt-4o', inputTokens: 1, memberId: 'mem_b' }),
    // gpt-4o-mini: 3 in × 0.15 = 0.45, plus BYOK tokens that count but cost nothing
    rollup({ kind: 'model', lineKey: 'gpt-4o-mini', inputTokens: 3 }),
    rollup({ kind: 'model_byok', lineKey: 'gpt-4o-mini', inputTokens: 1000, outputTokens: 1000 }),
    // BYOK on a model with no price at all: counted, free, no error
    rollup({ kind: 'model_byok', lineKey: 'claude-sonnet-4', inputTokens: 500, outputTokens: 5 }),
    // tools: 3 × 1,000
    rollup({ kind: 'tool', lineKey: 'tools', count: 3 }),
    // charges: one line each, whatever their size
    rollup({ kind: 'charge', lineKey: 'ch-2', amountMicros: 1, memberId: 'mem_b', description: 'Tiny' }),
    rollup({ kind: 'charge', lineKey: 'ch-1', amountMicros: 12_345, description: 'Dedicated IP' }),
    // another hour: ignored
    rollup({ kind: 'model', lineKey: 'gpt-4o', inputTokens: 1_000_000, hourMs: H + MS_PER_HOUR }),
    rollup({ kind: 'tool', lineKey: 'tools', count: 9, hourMs: H - MS_PER_HOUR }),
  ]);

  it('has one line per model, one for tools and one per charge, charges first', () => {
    expect(summary(lines)).toEqual([
      ['charge', 'ch-1', 12_345],
      ['charge', 'ch-2', 1],
      ['tool', 'tools', 3_000], // 3 × 1,000
      ['model', 'claude-sonnet-4', 0], // BYOK only
      ['model', 'gpt-4o', 3_503], // 3,500 + 2.5 = 3,502.5 → 3,503 (rounded once, halves up)
      ['model', 'gpt-4o-mini', 0], // 0.45 → 0; the BYOK tokens add nothing
    ]);
  });

  it('counts tokens of BYOK and priced calls alike', () => {
    const byName = Object.fromEntries(lines.map((l) => [l.lineKey, l]));
    expect(byName['gpt-4o-mini']).toMatchObject({ inputTokens: 1003, outputTokens: 1000, count: 2 });
    expect(byName['claude-sonnet-4']).toMatchObject({ inputTokens: 500, outputTokens: 5, count: 1, costMicros: 0 });
    expect(byName['gpt-4o']).toMatchObject({ inputTokens: 1001, outputTokens: 100, count: 3 });
    expect(byName['tools']).toMatchObject({ count: 3, description: 'Tool executions' });
    expect(byName['ch-1']).toMatchObject({ description: 'Dedicated IP', count: 1 });
  });

  it('keeps the member of a single-member line and blanks it for a shared one', () => {
    const byName = Object.fromEntries(lines.map((l) => [l.lineKey, l.memberId]));
    expect(byName).toMatchObject({ 'gpt-4o': '', 'gpt-4o-mini': 'mem_a', 'ch-1': 'mem_a', 'ch-2': 'mem_b' });
  });

  it('refuses to price a model its version does not list (rather than billing 0)', () => {
    expect(() => wholeHour([rollup({ kind: 'model', lineKey: 'claude-sonnet-4', inputTokens: 1 })])).toThrow(/claude-sonnet-4 has no price in version 1/);
  });

  it('rounds each line once: many sub-micro rows of one line add up before rounding', () => {
    // 10 rows (say 10 members) of 3 gpt-4o-mini input tokens each: 10 × 0.45 = 4.5 → 5;
    // rounding per row would give 0.
    const rows = Array.from({ length: 10 }, (_, i) => rollup({ kind: 'model', lineKey: 'gpt-4o-mini', inputTokens: 3, memberId: `mem_${i}` }));
    expect(summary(wholeHour(rows))).toEqual([['model', 'gpt-4o-mini', 5]]);
  });
});

describe('priceHour: one line per instance and per volume', () => {
  it('prices each resource on its own line, summing its intervals before rounding', () => {
    const lines = wholeHour(
      [],
      [
        // res_a runs twice: 30 ms + 20 ms of cpu-small = 50 × 0.01 = 0.5 → 1 (per interval: 0 + 0)
        instance('res_a', 'cpu-small', H, H + 30),
        instance('res_a', 'cpu-small', H + 1000, H + 1020),
        // res_b: 45 min of cpu-small = 27,000
        instance('res_b', 'cpu-small', H + 15 * MIN, null),
        // vol_a: 250 GB all hour = 250 × 100,000 / 730 = 34,246.58 → 34,247
        volume('vol_a', 250 * GB, H - MS_PER_HOUR, null),
        // vol_b: 1 GB for 30 min = 100,000 / 730 / 2 = 68.49 → 68
        volume('vol_b', GB, H + 30 * MIN, H + 60 * MIN),
      ],
    );
    expect(summary(lines)).toEqual([
      ['volume', 'vol_a', 34_247],
      ['volume', 'vol_b', 68],
      ['instance', 'res_a', 1],
      ['instance', 'res_b', 27_000],
    ]);
    const byId = Object.fromEntries(lines.map((l) => [l.lineKey, l]));
    expect(byId['res_a']!.runtimeMs).toBe(50);
    expect(byId['res_b']!.runtimeMs).toBe(45 * MIN);
    expect(byId['vol_a']).toMatchObject({ runtimeMs: MS_PER_HOUR, byteSeconds: 250 * GB * 3600 });
    expect(byId['vol_b']).toMatchObject({ runtimeMs: 30 * MIN, byteSeconds: GB * 1800 });
  });

  // [startedAt, stoppedAt) against the hour [H, H + 1 h), cpu-small at 36,000 µ/h (0.01 µ/ms)
  it.each([
    ['starts before and stops after the hour', H - 5 * MIN, H + 65 * MIN, MS_PER_HOUR, 36_000],
    ['starts at the hour start, still running', H, null, MS_PER_HOUR, 36_000],
    ['stops exactly at the hour start', H - 5 * MIN, H, null, null],
    ['starts exactly at the next hour', H + MS_PER_HOUR, null, null, null],
    ['starts in the last ms of the hour', H + MS_PER_HOUR - 1, null, 1, 0],
    ['runs its first ms of the hour only', H - 5 * MIN, H + 1, 1, 0],
    ['lasts no time at all', H + 5 * MIN, H + 5 * MIN, null, null],
    ['runs 50 ms from the middle', H + 30 * MIN, H + 30 * MIN + 50, 50, 1], // 0.5 → 1
  ])('%s', (_label, startedAtMs, stoppedAtMs, runtimeMs, costMicros) => {
    const lines = wholeHour([], [instance('res_x', 'cpu-small', startedAtMs, stoppedAtMs)]);
    if (runtimeMs === null) expect(lines).toEqual([]);
    else expect(lines.map((l) => [l.runtimeMs, l.costMicros])).toEqual([[runtimeMs, costMicros]]);
  });

  it('prices a running resource only up to untilMs (the open hour so far)', () => {
    const lines = priceHour(H, H + 10 * MIN, [], [instance('res_x', 'gpu-a100', H - MIN, null)], v1Only);
    expect(lines.map((l) => [l.runtimeMs, l.costMicros])).toEqual([[10 * MIN, 600_000]]); // 600,000 ms × 1 µ/ms
  });

  it('refuses an instance type its version does not price', () => {
    expect(() => wholeHour([], [instance('res_x', 'tpu-v9', H, null)])).toThrow(/tpu-v9 has no price/);
  });
});

describe('priceHour: a price change inside the hour (v2 from H + 30 min)', () => {
  it('splits runtime at the change: first half at v1, second at v2', () => {
    const lines = wholeHour(
      [],
      [
        // gpu-a100: 30 min × 1 µ/ms + 30 min × 2 µ/ms = 1,800,000 + 3,600,000
        instance('res_gpu', 'gpu-a100', H, null),
        // 10 GB all hour: 10 × (100,000 + 200,000) / 2 / 730 = 1,500,000 / 730 = 2,054.79 → 2,055
        volume('vol', 10 * GB, H, null),
        // gpu-a100 from H + 20 min to H + 40 min: 10 min at 1 + 10 min at 2 µ/ms = 600,000 + 1,200,000
        instance('res_short', 'gpu-a100', H + 20 * MIN, H + 40 * MIN),
      ],
      book,
    );
    expect(summary(lines)).toEqual([
      ['volume', 'vol', 2_055],
      ['instance', 'res_gpu', 5_400_000],
      ['instance', 'res_short', 1_800_000],
    ]);
    expect(lines.find((l) => l.lineKey === 'vol')!.byteSeconds).toBe(10 * GB * 3600);
  });

  it('prices each event row at the version it was recorded under, one line per model', () => {
    const lines = wholeHour(
      [
        // gpt-4o-mini: v1 3 in × 0.15 = 0.45; v2 3 in × 0.05 = 0.15; together 0.6 → 1 (per version 0 + 0)
        rollup({ kind: 'model', lineKey: 'gpt-4o-mini', inputTokens: 3, priceVersion: 1 }),
        rollup({ kind: 'model', lineKey: 'gpt-4o-mini', inputTokens: 3, priceVersion: 2 }),
        // gpt-4o: v1 1000 in × 2.5 = 2,500; v2 1000 in × 5 = 5,000
        rollup({ kind: 'model', lineKey: 'gpt-4o', inputTokens: 1000, priceVersion: 1 }),
        rollup({ kind: 'model', lineKey: 'gpt-4o', inputTokens: 1000, priceVersion: 2 }),
        // tools: 2 × 1,000 at v1 + 1 × 2,000 at v2
        rollup({ kind: 'tool', lineKey: 'tools', count: 2, priceVersion: 1 }),
        rollup({ kind: 'tool', lineKey: 'tools', count: 1, priceVersion: 2 }),
      ],
      [],
      book,
    );
    expect(summary(lines)).toEqual([
      ['tool', 'tools', 4_000],
      ['model', 'gpt-4o', 7_500],
      ['model', 'gpt-4o-mini', 1],
    ]);
    expect(lines.find((l) => l.lineKey === 'tools')!.count).toBe(3);
  });

  it('bills a running type the new version withdrew (cpu-small is not in v2) at its last listed rate', () => {
    // 29 → 31 min: 2 minutes at v1's 0.01 micros/ms (36,000/h) = 120,000 ms × 0.01 = 1,200, across the change.
    expect(summary(wholeHour([], [instance('res_x', 'cpu-small', H + 29 * MIN, H + 31 * MIN)], book))).toEqual([['instance', 'res_x', 1_200]]);
    // Up to the change it is fine: H → H + 30 min = 1,800,000 ms × 0.01 = 18,000.
    expect(summary(wholeHour([], [instance('res_x', 'cpu-small', H, HALF)], book))).toEqual([['instance', 'res_x', 18_000]]);
  });
});

describe('allocate: a short balance pays charges first and forgives runtime last', () => {
  // A book where the lines cost round numbers: charge 100, tool 50, model 30, volume 20, instance 300.
  const cheap: Pricing = {
    models: [{ model: 'm', inputMicrosPerMillionTokens: 30_000_000, outputMicrosPerMillionTokens: 0 }],
    instanceTypes: [{ instanceType: 'small', microsPerHour: 300 }],
    storage: { microsPerGbMonth: 730 }, // 20 GB for an hour = 20 × 730 / 730 = 20
    toolExecution: { microsPerExecution: 50 },
  };
  const cheapBook = new PriceBook([{ version: 1, effectiveFromMs: 0, pricingJson: JSON.stringify(cheap) }]);
  const lines = wholeHour(
    [
      rollup({ kind: 'model', lineKey: 'm', inputTokens: 1 }),
      rollup({ kind: 'tool', lineKey: 'tools', count: 1 }),
      rollup({ kind: 'charge', lineKey: 'c', amountMicros: 100, description: 'Charge' }),
    ],
    [instance('res_i', 'small', H, null), volume('vol_v', 20 * GB, H, null)],
    cheapBook,
  );

  it('orders lines charge, tool, model, volume, instance', () => {
    expect(summary(lines)).toEqual([
      ['charge', 'c', 100],
      ['tool', 'tools', 50],
      ['model', 'm', 30],
      ['volume', 'vol_v', 20],
      ['instance', 'res_i', 300],
    ]);
  });

  // charged per line, in the order above; forgiven = cost - charged
  it.each([
    ['more than enough', 1_000, [100, 50, 30, 20, 300]],
    ['exactly enough', 500, [100, 50, 30, 20, 300]],
    ['short by the instance', 200, [100, 50, 30, 20, 0]],
    ['short by part of the instance', 350, [100, 50, 30, 20, 150]],
    ['enough for the charge and part of the tools', 120, [100, 20, 0, 0, 0]],
    ['nothing', 0, [0, 0, 0, 0, 0]],
    ['a negative balance pays nothing', -50, [0, 0, 0, 0, 0]],
  ])('%s (%i µ available)', (_label, available, charged) => {
    const result = allocate(lines, available);
    expect(result.map((a) => a.chargedMicros)).toEqual(charged);
    expect(result.map((a) => a.forgivenMicros)).toEqual(result.map((a) => a.line.costMicros - a.chargedMicros));
    const total = charged.reduce((s, c) => s + c, 0);
    expect(total).toBe(Math.min(Math.max(available, 0), 500));
  });
});

describe('describeHour', () => {
  it('names the hour and what was used', () => {
    const lines = wholeHour(
      [
        rollup({ kind: 'model', lineKey: 'gpt-4o', inputTokens: 1 }),
        rollup({ kind: 'tool', lineKey: 'tools', count: 3 }),
        rollup({ kind: 'charge', lineKey: 'c', amountMicros: 5 }),
      ],
      [instance('r1', 'cpu-small', H, null), instance('r2', 'cpu-small', H, null), volume('v', GB, H, null)],
    );
    expect(describeHour(H, lines)).toBe('Usage 2026-11-21 10:00–11:00 UTC: 2 instances, 1 volume, 1 model, 3 tool executions, 1 charge');
    expect(describeHour(H, [])).toBe('Usage 2026-11-21 10:00–11:00 UTC: no metered usage');
  });
});
