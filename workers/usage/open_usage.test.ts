// The open-hour estimate, the burn rate and settlement price a running instance the same way, even
// after a new price list withdraws its type (PriceBook.instanceRate is the one rule for that).
import { describe, expect, it } from 'vitest';
import { OpenUsage } from './open_usage';
import { priceHour } from './price_hour';
import { PriceBook, type Pricing } from './pricing';

const H = Date.UTC(2026, 10, 21, 10);
const MIN = 60_000;
const list = (types: Pricing['instanceTypes']): Pricing => ({
  models: [],
  instanceTypes: types,
  storage: { microsPerGbMonth: 730_000 },
  toolExecution: { microsPerExecution: 1_000 },
});
// cpu-small at 36,000/h until H + 30 min; the list from then on no longer has it.
const book = new PriceBook([
  { version: 1, effectiveFromMs: 0, pricingJson: JSON.stringify(list([{ instanceType: 'cpu-small', microsPerHour: 36_000 }])) },
  { version: 2, effectiveFromMs: H + 30 * MIN, pricingJson: JSON.stringify(list([{ instanceType: 'gpu-a10g', microsPerHour: 1_100_000 }])) },
]);
const running = { resourceId: 'res_1', memberId: 'mem_1', kind: 'instance' as const, instanceType: 'cpu-small', sizeBytes: null, startedAtMs: H, stoppedAtMs: null };

describe('a running instance whose type a new price list withdrew', () => {
  it('keeps accruing at its last listed rate in the estimate, the burn rate and settlement alike', () => {
    const open = new OpenUsage(H);
    open.intervals.push(running);
    const endOfHourMs = H + 60 * MIN;
    // A whole hour at 36,000/h, half of it after the change.
    expect(open.accumulatingMicros(endOfHourMs, book)).toBe(36_000);
    expect(open.runningRateMicrosPerHour(H + 45 * MIN, book)).toBe(36_000);
    const settled = priceHour(H, endOfHourMs, [], [running], book);
    expect(settled.map((l) => [l.lineKey, l.costMicros])).toEqual([['res_1', 36_000]]);
  });
});
