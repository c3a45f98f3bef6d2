// Ingestion's amount limits within one group commit: the requests of a group build on one another,
// and a refused request counts for nothing, so the next request of the group is judged without it.
import { describe, expect, it } from 'vitest';
import { MAX_HOUR_EVENT_MICROS, MAX_LINE_HOUR_MICROS } from './amount_limits';
import { classifyEvents } from './classify_events';
import { roundMicros } from './exact_cost';
import { OpenUsage } from './open_usage';
import { PriceBook } from './pricing';
import type { NormalizedEvent } from './usage_event';

const HOUR = Date.parse('2026-11-30T10:00:00Z');
const book = new PriceBook([
  {
    version: 1,
    effectiveFromMs: 0,
    pricingJson: JSON.stringify({
      models: [{ model: 'm', inputMicrosPerMillionTokens: 1_000_000_000, outputMicrosPerMillionTokens: 1_000_000_000 }],
      instanceTypes: [],
      storage: { microsPerGbMonth: 0 },
      toolExecution: { microsPerExecution: 1_000_000_000 },
    }),
  },
]);

let n = 0;
const charge = (amountMicros: number, requestIndex = 0): NormalizedEvent => ({
  id: `c${n++}`,
  requestIndex,
  requestHash: `h${n}`,
  memberId: '',
  occurredAtMs: HOUR + 60_000,
  type: 'charge',
  byok: false,
  model: '',
  inputTokens: 0,
  outputTokens: 0,
  amountMicros,
  description: 'Charge',
});
/** A model event of `tokens` a side: 10^3 µ per token a side at the test price. */
const model = (tokens: number, requestIndex = 0): NormalizedEvent => ({ ...charge(0, requestIndex), type: 'model', model: 'm', inputTokens: tokens, outputTokens: tokens, amountMicros: 0 });

const classify = (requests: NormalizedEvent[][], open = new OpenUsage(HOUR)) => classifyEvents(requests, new Map(), book, open, 0).outcomes;

describe('ingestion limits within a group', () => {
  it('counts the accepted requests of the group, not the refused ones', () => {
    const [a, b, c] = classify([
      // A: 3 × 5×10^11 = 1.5×10^12 on the model's line.
      [model(250_000_000), model(250_000_000), model(250_000_000)],
      // B: 6×10^11 more would take the line to 2.1×10^12: refused whole, its first event too.
      [charge(1), model(300_000_000, 1)],
      // C: 5×10^11 more takes it to 2×10^12 exactly: accepted, as B counted for nothing.
      [model(250_000_000)],
    ]);
    expect(a!.refusal).toBeUndefined();
    expect(b!.refusal?.message).toMatch(/^events\.1\.outputTokens: .* would hold 2100000000000 micros on this event's line/);
    expect(b!.rows).toEqual([]);
    expect(c!.refusal).toBeUndefined();
    expect(roundMicros(a!.exact + c!.exact)).toBe(MAX_LINE_HOUR_MICROS);
  });

  it('adds to what the open hour already holds, and to the hour as a whole', () => {
    const open = new OpenUsage(HOUR);
    open.addRollup({ hourMs: HOUR, memberId: '', kind: 'charge', lineKey: 'old', priceVersion: 1, inputTokens: 0, outputTokens: 0, count: 1, amountMicros: MAX_HOUR_EVENT_MICROS - 10, description: 'Old' }, book);
    const [fits, over] = classify([[charge(10)], [charge(1, 3)]], open);
    expect(fits!.refusal).toBeUndefined();
    expect(over!.refusal?.message).toMatch(/^events\.3\.amountMicros: the hour 2026-11-30T10:00Z would hold 5000000000001 micros of usage events/);
  });

  it('bills a late event in the first open hour, and counts it there', () => {
    const open = new OpenUsage(HOUR + 3_600_000);
    open.addRollup({ hourMs: HOUR + 3_600_000, memberId: '', kind: 'charge', lineKey: 'old', priceVersion: 1, inputTokens: 0, outputTokens: 0, count: 1, amountMicros: MAX_HOUR_EVENT_MICROS, description: 'Old' }, book);
    const [late] = classify([[charge(1)]], open);
    expect(late!.refusal?.message).toMatch(/^events\.0\.amountMicros: the hour 2026-11-30T11:00Z would hold/);
  });
});
