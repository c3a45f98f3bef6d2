// Issue 23: amounts past 2^53. An outside probe priced a model at the schema's maximum (10^12 µ per
// million tokens) and sent 1,000 events of 10^10 tokens: each cost 10^16 micros, the open hour held
// 10^19, and every amount made of it (accumulating, forgiven, CSV, my-usage) was no longer exact.
// The limits (workers/usage/amount_limits.ts) keep every amount an exact safe integer: these tests
// walk each one to its boundary, exactly at it accepted and one over refused, nothing recorded.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { creditsFromMicros } from '../../workers/billing/history_csv';
import {
  MAX_EVENT_MICROS,
  MAX_HOUR_EVENT_MICROS,
  MAX_HOUR_TOKENS,
  MAX_LINE_HOUR_MICROS,
  MAX_MICROS_PER_EXECUTION,
  MAX_MICROS_PER_GB_MONTH,
  MAX_MICROS_PER_INSTANCE_HOUR,
  MAX_MICROS_PER_MILLION_TOKENS,
  MAX_TOKENS_PER_EVENT,
  MAX_VOLUME_BYTES,
} from '../../workers/usage/amount_limits';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, grant, unique, type TestWorkspace } from '../helpers/fixtures';
import { storedEventsOf } from '../helpers/ledger_checks';
import { fireCron, HOUR_MS, hourOf, usageEntries, waitForHistory } from '../helpers/settlement';

const iso = (ms: number) => new Date(ms).toISOString();
const SAFE = Number.MAX_SAFE_INTEGER;

/** `count` model events of `model`, each with the given tokens, at `atMs`. */
const modelEvents = (ws: TestWorkspace, model: string, count: number, atMs: number, inputTokens = MAX_TOKENS_PER_EVENT, outputTokens = MAX_TOKENS_PER_EVENT) =>
  Array.from({ length: count }, () => ({ id: unique('ev'), workspaceId: ws.workspaceId, occurredAt: iso(atMs), type: 'model', model, inputTokens, outputTokens }));
const ingest = (events: unknown[]) => internal('POST', '/internal/v1/usage', { events });
const credits = async (ws: TestWorkspace) => (await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body;

async function pricingInForce() {
  const res = await internal('GET', '/internal/v1/pricing');
  expect(res.status).toBe(200);
  const { version: _v, effectiveAt: _e, ...list } = res.body;
  return list;
}

describe('the limits themselves', () => {
  it('are derived so that an event, a line, an hour and a month of hours stay far below 2^53', () => {
    // The largest event the schemas allow is exactly the per-event limit.
    expect((2 * MAX_TOKENS_PER_EVENT * MAX_MICROS_PER_MILLION_TOKENS) / 1_000_000).toBe(MAX_EVENT_MICROS);
    expect(MAX_MICROS_PER_EXECUTION).toBeLessThanOrEqual(MAX_EVENT_MICROS);
    expect(MAX_EVENT_MICROS).toBeLessThan(MAX_LINE_HOUR_MICROS);
    expect(MAX_LINE_HOUR_MICROS).toBeLessThan(MAX_HOUR_EVENT_MICROS);
    // A resource's hour: the dearest instance, the largest volume at the dearest storage price.
    expect(MAX_MICROS_PER_INSTANCE_HOUR).toBeLessThan(MAX_LINE_HOUR_MICROS);
    expect(((MAX_VOLUME_BYTES / 1e9) * MAX_MICROS_PER_GB_MONTH) / 730).toBeLessThan(MAX_LINE_HOUR_MICROS);
    // A month of hours at the limits (745 hour lines), in micros and in tokens.
    expect(745 * MAX_HOUR_EVENT_MICROS).toBeLessThan(SAFE / 2);
    expect(745 * MAX_HOUR_TOKENS).toBeLessThan(SAFE / 10);
  });

  it('CSV credits are exact for every safe integer of micros, and nothing else is formatted', () => {
    expect(creditsFromMicros(SAFE)).toBe('9007199254.740991');
    expect(creditsFromMicros(-SAFE)).toBe('-9007199254.740991');
    expect(creditsFromMicros(9_000_000_000_999_999)).toBe('9000000000.999999');
    expect(creditsFromMicros(MAX_HOUR_EVENT_MICROS - 1)).toBe('4999999.999999');
    expect(() => creditsFromMicros(1e19)).toThrow(RangeError);
    expect(() => creditsFromMicros(0.5)).toThrow(RangeError);
  });
});

describe('PUT /internal/v1/pricing bounds every price', () => {
  const cases: Array<[string, (list: any, value: number) => any, number]> = [
    ['models.0.inputMicrosPerMillionTokens', (l, v) => ({ ...l, models: [{ ...l.models[0], inputMicrosPerMillionTokens: v }, ...l.models.slice(1)] }), MAX_MICROS_PER_MILLION_TOKENS],
    ['models.0.outputMicrosPerMillionTokens', (l, v) => ({ ...l, models: [{ ...l.models[0], outputMicrosPerMillionTokens: v }, ...l.models.slice(1)] }), MAX_MICROS_PER_MILLION_TOKENS],
    ['instanceTypes.0.microsPerHour', (l, v) => ({ ...l, instanceTypes: [{ ...l.instanceTypes[0], microsPerHour: v }, ...l.instanceTypes.slice(1)] }), MAX_MICROS_PER_INSTANCE_HOUR],
    ['storage.microsPerGbMonth', (l, v) => ({ ...l, storage: { microsPerGbMonth: v } }), MAX_MICROS_PER_GB_MONTH],
    ['toolExecution.microsPerExecution', (l, v) => ({ ...l, toolExecution: { microsPerExecution: v } }), MAX_MICROS_PER_EXECUTION],
  ];

  it.each(cases)('%s: one over the bound is a 400 naming it, the bound itself is accepted', async (field, put, max) => {
    const before = await pricingInForce();
    const version = (await internal('GET', '/internal/v1/pricing')).body.version;
    const over = await internal('PUT', '/internal/v1/pricing', put(before, max + 1));
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(new RegExp(`^${field.replaceAll('.', '\\.')}: `)) });
    expect((await internal('GET', '/internal/v1/pricing')).body.version).toBe(version);

    const at = await internal('PUT', '/internal/v1/pricing', put(before, max));
    expect(at.status).toBe(200);
    expect(at.body.version).toBeGreaterThan(version);
    expect((await internal('PUT', '/internal/v1/pricing', before)).status).toBe(200);
  });

  it('the probe\'s price (10^12 µ per million tokens, the old maximum) is refused', async () => {
    const list = await pricingInForce();
    const res = await internal('PUT', '/internal/v1/pricing', { ...list, models: [...list.models, { model: 'probe-max', inputMicrosPerMillionTokens: 1_000_000_000_000, outputMicrosPerMillionTokens: 1_000_000_000_000 }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^models\.\d+\.inputMicrosPerMillionTokens: /);
  });

  it('a volume larger than 10^15 bytes is refused', async () => {
    const ws = await createWorkspace('Largest volume');
    await grant(ws.workspaceId, 1_000_000);
    const res = await internal('POST', '/internal/v1/resources', { id: unique('res_big'), workspaceId: ws.workspaceId, kind: 'volume', sizeBytes: MAX_VOLUME_BYTES + 1 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^sizeBytes: /);
  });
});

describe('the probe\'s reproduction', () => {
  it('1,000 events of 10^10 tokens on a model at the schema maximum: 400 naming the field, nothing recorded', async () => {
    const ws = await createWorkspace('Probe');
    const list = await pricingInForce();
    const put = await internal('PUT', '/internal/v1/pricing', {
      ...list,
      models: [...list.models, { model: 'probe-top', inputMicrosPerMillionTokens: MAX_MICROS_PER_MILLION_TOKENS, outputMicrosPerMillionTokens: MAX_MICROS_PER_MILLION_TOKENS }],
    });
    expect(put.status).toBe(200);
    const res = await ingest(modelEvents(ws, 'probe-top', 1000, Date.now(), 10_000_000_000, 10_000_000_000));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^events\.0\.inputTokens: /) });
    expect(await storedEventsOf(ws.workspaceId)).toBe(0);
    expect((await credits(ws)).accumulatingMicros).toBe(0);
  });

  it('a price list stored before the bounds (10^12 µ per million tokens) still cannot make an event cost more than 10^12 micros', async () => {
    const ws = await createWorkspace('Legacy prices');
    const list = await pricingInForce();
    const legacy = { ...list, models: [...list.models, { model: 'legacy-top', inputMicrosPerMillionTokens: 1_000_000_000_000, outputMicrosPerMillionTokens: 1_000_000_000_000 }] };
    // In force from now on (after every list this file has put), as a list of an earlier release.
    const effectiveMs = Date.now();
    await env.DB.prepare('INSERT INTO price_lists (effective_from_ms, pricing_json, created_at_ms) VALUES (?, ?, ?)').bind(effectiveMs, JSON.stringify(legacy), effectiveMs).run();
    await new Promise((r) => setTimeout(r, 5));
    const nowMs = effectiveMs + 1;
    try {
      // 10^6 input tokens at 10^12 µ per million: exactly 10^12 micros, the per-event limit.
      const at = await ingest(modelEvents(ws, 'legacy-top', 1, nowMs, 1_000_000, 0));
      expect(at.status, JSON.stringify(at.body)).toBe(200);
      expect(at.body).toEqual({ accepted: 1, duplicates: 0, costMicros: MAX_EVENT_MICROS });
      // One output token more: 10^6 micros over the event's limit, named by the field that crosses
      // it; refused before any ledger object is asked, so another workspace's event is not recorded either.
      const other = await createWorkspace('Legacy prices, other workspace');
      const over = await ingest([...modelEvents(other, 'gpt-4o', 1, nowMs, 1000, 1000), ...modelEvents(ws, 'legacy-top', 1, nowMs, 1_000_000, 1)]);
      expect(over.status).toBe(400);
      expect(over.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^events\.1\.outputTokens: the event would cost 1000001000000 micros, more than one event may \(1000000000000 micros/) });
      expect(await storedEventsOf(ws.workspaceId)).toBe(1);
      expect(await storedEventsOf(other.workspaceId)).toBe(0);
      expect((await credits(ws)).accumulatingMicros).toBe(MAX_EVENT_MICROS);
    } finally {
      // Put a bounded list back in force for the rest of the file.
      expect((await internal('PUT', '/internal/v1/pricing', list)).status).toBe(200);
    }
  });
});

describe('default prices at the token maximum, through one hour', () => {
  let ws: TestWorkspace;
  let H: number;
  const at = () => H + 10 * 60_000;
  // Default prices (µ per million tokens): claude-sonnet-4 3,000,000 / 15,000,000; gpt-4o
  // 2,500,000 / 10,000,000; llama-3.1-70b 880,000 / 880,000. At 5×10^8 tokens a side an event costs
  // 9×10^9, 6.25×10^9 and 8.8×10^8 micros.
  const SONNET = 9_000_000_000;
  const GPT4O = 6_250_000_000;
  const LLAMA = 880_000_000;
  const BALANCE = 1_000_000_000_000;

  beforeAll(async () => {
    ws = await createWorkspace('Token maximum');
    await grant(ws.workspaceId, BALANCE);
    // The hour before this one: closed, so the cron can settle it at the end; events are sent
    // within seconds, well before the object's own alarm (a minute at the soonest).
    H = hourOf(Date.now()) - HOUR_MS;
    const list = await pricingInForce();
    expect(list.models).toEqual(
      expect.arrayContaining([
        { model: 'claude-sonnet-4', inputMicrosPerMillionTokens: 3_000_000, outputMicrosPerMillionTokens: 15_000_000 },
        { model: 'gpt-4o', inputMicrosPerMillionTokens: 2_500_000, outputMicrosPerMillionTokens: 10_000_000 },
        { model: 'llama-3.1-70b', inputMicrosPerMillionTokens: 880_000, outputMicrosPerMillionTokens: 880_000 },
      ]),
    );
  });

  it('a model line fills up to 2×10^12 micros: exactly at the limit accepted, the smallest event over it refused', async () => {
    // 222 sonnet events: 1.998×10^12; the 223rd's input fits (1.9995×10^12), its output does not.
    const sonnet = await ingest(modelEvents(ws, 'claude-sonnet-4', 222, at()));
    expect(sonnet.body).toEqual({ accepted: 222, duplicates: 0, costMicros: 222 * SONNET });
    const sonnetOver = await ingest([{ id: unique('ok'), workspaceId: ws.workspaceId, occurredAt: iso(at()), type: 'tool_execution' }, ...modelEvents(ws, 'claude-sonnet-4', 1, at())]);
    expect(sonnetOver.status).toBe(400);
    expect(sonnetOver.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^events\.1\.outputTokens: the hour .* would hold 2007000000000 micros on this event's line/) });

    // 320 gpt-4o events: 2×10^12 exactly, the line's limit.
    const gpt = await ingest(modelEvents(ws, 'gpt-4o', 320, at()));
    expect(320 * GPT4O).toBe(MAX_LINE_HOUR_MICROS);
    expect(gpt.body).toEqual({ accepted: 320, duplicates: 0, costMicros: MAX_LINE_HOUR_MICROS });
    // One input token more (2.5 µ, rounded up to 3) is over it.
    const gptOver = await ingest(modelEvents(ws, 'gpt-4o', 1, at(), 1, 0));
    expect(gptOver.status).toBe(400);
    expect(gptOver.body.error.message).toMatch(/^events\.0\.inputTokens: .* would hold 2000000000003 micros on this event's line/);
    expect(await storedEventsOf(ws.workspaceId)).toBe(542);
  });

  it('the hour\'s tokens fill up to 10^12, including what costs nothing', async () => {
    // 542 events so far hold 5.42×10^11 tokens; 457 more llama and one BYOK event reach 10^12 exactly.
    const llama = await ingest([
      ...modelEvents(ws, 'llama-3.1-70b', 457, at()),
      { id: unique('byok'), workspaceId: ws.workspaceId, occurredAt: iso(at()), type: 'model', model: 'not-priced', byok: true, inputTokens: MAX_TOKENS_PER_EVENT, outputTokens: MAX_TOKENS_PER_EVENT },
    ]);
    expect(llama.body).toEqual({ accepted: 458, duplicates: 0, costMicros: 457 * LLAMA });
    const byokOver = await ingest([{ id: unique('byok'), workspaceId: ws.workspaceId, occurredAt: iso(at()), type: 'model', model: 'not-priced', byok: true, inputTokens: 1 }]);
    expect(byokOver.status).toBe(400);
    expect(byokOver.body.error.message).toMatch(/^events\.0\.inputTokens: .* would hold 1000000000001 tokens/);
  });

  it('the hour\'s events fill up to 5×10^12 micros: exactly at it accepted, one micro over refused', async () => {
    const held = 222 * SONNET + MAX_LINE_HOUR_MICROS + 457 * LLAMA;
    const rest = MAX_HOUR_EVENT_MICROS - held;
    expect(rest).toBeLessThanOrEqual(MAX_EVENT_MICROS);
    const charge = await ingest([{ id: unique('charge'), workspaceId: ws.workspaceId, occurredAt: iso(at()), type: 'charge', amountMicros: rest, description: 'Fills the hour' }]);
    expect(charge.body).toEqual({ accepted: 1, duplicates: 0, costMicros: rest });
    const over = await ingest([{ id: unique('charge'), workspaceId: ws.workspaceId, occurredAt: iso(at()), type: 'charge', amountMicros: 1 }]);
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/^events\.0\.amountMicros: the hour .* would hold 5000000000001 micros of usage events/);
    // Every amount the workspace shows is the exact sum.
    expect((await credits(ws)).accumulatingMicros).toBe(MAX_HOUR_EVENT_MICROS);
    expect(await storedEventsOf(ws.workspaceId)).toBe(542 + 458 + 1);
  });

  it('a charge event of exactly 10^12 micros is one event at the limit; one micro more is refused by the schema', async () => {
    const other = await createWorkspace('Largest charge');
    const ok = await ingest([{ id: unique('charge'), workspaceId: other.workspaceId, type: 'charge', amountMicros: MAX_EVENT_MICROS }]);
    expect(ok.body).toEqual({ accepted: 1, duplicates: 0, costMicros: MAX_EVENT_MICROS });
    const over = await ingest([{ id: unique('charge'), workspaceId: other.workspaceId, type: 'charge', amountMicros: MAX_EVENT_MICROS + 1 }]);
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/^events\.0\.amountMicros: /);
  });

  it('settles exactly: charged, forgiven, the CSV and my-usage all add up to the micro', async () => {
    await fireCron(Date.now());
    const [usage] = usageEntries(await waitForHistory(ws.adminKey, '?type=usage', (data) => usageEntries(data).length > 0));
    // The balance pays the charge first, then models by name: what it cannot cover is forgiven.
    expect(usage.amountMicros).toBe(-BALANCE);
    expect(usage.balanceAfterMicros).toBe(0);
    expect(usage.forgivenMicros).toBe(MAX_HOUR_EVENT_MICROS - BALANCE);

    const csv = await publicApi('GET', '/v1/billing/credits/history.csv?type=usage', ws.adminKey);
    expect(csv.status).toBe(200);
    const line = (csv.body as string).split('\r\n').find((l: string) => l.startsWith(usage.id));
    expect(line).toBeDefined();
    expect(line!.split(',').slice(-4, -1)).toEqual(['-1000000.000000', '0.000000', '4000000.000000']);

    const report = await publicApi('GET', '/v1/billing/my-usage?period=30d&all=true', ws.adminKey);
    expect(report.status).toBe(200);
    const totals = report.body.totals;
    const rest = MAX_HOUR_EVENT_MICROS - (222 * SONNET + MAX_LINE_HOUR_MICROS + 457 * LLAMA);
    // Paid: the charge whole, then claude-sonnet-4 with what is left; gpt-4o and llama forgiven.
    expect(totals.resourceCharges).toEqual([expect.objectContaining({ description: 'Fills the hour', amountMicros: rest })]);
    expect(totals.modelUsage).toEqual(
      expect.arrayContaining([
        { model: 'claude-sonnet-4', inputTokens: 222 * MAX_TOKENS_PER_EVENT, outputTokens: 222 * MAX_TOKENS_PER_EVENT, totalTokens: 444 * MAX_TOKENS_PER_EVENT, costMicros: BALANCE - rest },
        { model: 'gpt-4o', inputTokens: 320 * MAX_TOKENS_PER_EVENT, outputTokens: 320 * MAX_TOKENS_PER_EVENT, totalTokens: 640 * MAX_TOKENS_PER_EVENT, costMicros: 0 },
        { model: 'llama-3.1-70b', inputTokens: 457 * MAX_TOKENS_PER_EVENT, outputTokens: 457 * MAX_TOKENS_PER_EVENT, totalTokens: 914 * MAX_TOKENS_PER_EVENT, costMicros: 0 },
      ]),
    );
    expect(totals.tokens).toEqual({ input: MAX_HOUR_TOKENS / 2, output: MAX_HOUR_TOKENS / 2, total: MAX_HOUR_TOKENS });
    expect(totals.totalMicros).toBe(BALANCE);
  });
});
