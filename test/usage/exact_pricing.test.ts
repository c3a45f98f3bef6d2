// The exact-pricing table: events and resources across hour boundaries and a price change, each
// with its cost worked out by hand below, checked three ways:
//   (a) the costMicros that POST /internal/v1/usage answers (the request's exact cost, rounded once),
//   (b) the accumulatingMicros of GET /v1/billing/credits (per line per hour, rounded once each),
//   (c) the `usage` transaction of every settled hour (and its settlement lines).
//
// Default prices (schema/migrations/0002_default_price_list.sql), in micros:
//   gpt-4o          2.5 µ/input token, 10 µ/output token   (2,500,000 / 10,000,000 per M)
//   gpt-4o-mini     0.15 µ/in, 0.6 µ/out                    (150,000 / 600,000 per M)
//   claude-sonnet-4 3 µ/in, 15 µ/out;  llama-3.1-70b 0.88 µ/in and out
//   cpu-small 36,000 µ/h (0.01 µ/ms);  gpu-a10g 1,100,000 µ/h (11/36 µ/ms);  gpu-a100 3,600,000 µ/h (1 µ/ms)
//   storage 100,000 µ per GB-month (GB = 10^9 bytes, month = 730 h);  tool execution 1,000 µ
//
// All times are explicit and in hours before this one, so the answers do not depend on the clock;
// only the price change (PUT /internal/v1/pricing takes effect "now") happens in the current hour.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, grant, type TestWorkspace } from '../helpers/fixtures';
import { fireCron, HOUR_MS, hourOf, waitForHistory } from '../helpers/settlement';
import { shardD1Of } from '../helpers/ledger_checks';

const MIN = 60_000;
const SEC = 1_000;
const GB = 1_000_000_000;
const iso = (ms: number) => new Date(ms).toISOString();

const ledger = (ws: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(ws));
async function settle(ws: string, cutoffMs: number) {
  const result = await ledger(ws).settle(ws, cutoffMs);
  expect(result.ok).toBe(true);
  return result.ok ? result.value : null;
}

const postUsage = (events: unknown[]) => internal('POST', '/internal/v1/usage', { events });
const accumulating = async (ws: TestWorkspace) => (await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.accumulatingMicros as number;

/** Completed `usage` transactions by the hour they settle, read from the public history. */
async function usageByHour(ws: TestWorkspace): Promise<Map<number, number>> {
  const res = await publicApi('GET', '/v1/billing/credits/history?type=usage&status=completed&limit=200', ws.adminKey);
  expect(res.status).toBe(200);
  const out = new Map<number, number>();
  for (const t of res.body.data) {
    // "Usage 2026-11-21 10:00–11:00 UTC: …"
    const m = /^Usage (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})–/.exec(t.description);
    expect(m, `description of ${t.id}: ${t.description}`).not.toBeNull();
    const hour = Date.parse(`${m![1]}T${m![2]}:00.000Z`);
    expect(out.has(hour), `one usage transaction per hour (${iso(hour)})`).toBe(false);
    out.set(hour, t.amountMicros);
  }
  return out;
}

/** The settlement lines of a workspace as [hourMs, kind, lineKey, costMicros], straight from D1. */
async function settledLines(workspaceId: string) {
  const { results } = await shardD1Of(workspaceId).prepare(
    'SELECT hour_ms, kind, line_key, cost_micros, input_tokens, output_tokens, count FROM settlement_lines WHERE workspace_id = ? ORDER BY hour_ms, kind, line_key',
  )
    .bind(workspaceId)
    .all<{ hour_ms: number; kind: string; line_key: string; cost_micros: number; input_tokens: number; output_tokens: number; count: number }>();
  return results;
}

const sortLines = (lines: Array<[number, string, string, number]>) =>
  [...lines].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));

/** Sleeps past the end of the hour if fewer than marginMs are left in it. */
async function awayFromHourEnd(marginMs: number) {
  const left = hourOf(Date.now()) + HOUR_MS - Date.now();
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

async function sleepUntil(ms: number) {
  while (Date.now() < ms) await new Promise((r) => setTimeout(r, 10));
}

// --------------------------------------------------------------------------------------------------

describe('the table: events and resources across hours, default prices', () => {
  let ws: TestWorkspace;
  let H: number; // start of the current hour; h5…h1 are the five hours before it
  let h5: number, h4: number, h3: number, h2: number, h1: number;
  const GRANT = 100_000_000;

  interface UsageRow {
    label: string;
    events: (ws: TestWorkspace) => Array<Record<string, unknown>>;
    answer: { accepted: number; duplicates: number; costMicros: number };
    /** How much the request moves accumulatingMicros: per-line-per-hour rounding, by hand. */
    accumulatingDelta: number;
  }

  // Filled in beforeAll once the hours are known.
  let rows: UsageRow[] = [];
  const answers = new Map<string, { status: number; body: any; accumulating: number }>();

  beforeAll(async () => {
    H = hourOf(Date.now());
    [h5, h4, h3, h2, h1] = [5, 4, 3, 2, 1].map((n) => H - n * HOUR_MS) as [number, number, number, number, number];
    ws = await createWorkspace('Exact pricing table');
    await grant(ws.workspaceId, GRANT);
    const ev = (id: string, occurredAtMs: number, fields: Record<string, unknown>) => ({
      id,
      workspaceId: ws.workspaceId,
      memberId: ws.adminMemberId,
      occurredAt: iso(occurredAtMs),
      ...fields,
    });

    rows = [
      {
        label: 'U1 gpt-4o in h5',
        events: () => [ev('u1', h5 + 10 * MIN, { type: 'model', model: 'gpt-4o', inputTokens: 1500, outputTokens: 700 })],
        // 1500 in × 2.5 + 700 out × 10 = 3,750 + 7,000 = 10,750
        answer: { accepted: 1, duplicates: 0, costMicros: 10_750 },
        accumulatingDelta: 10_750,
      },
      {
        label: 'U2 gpt-4o-mini 3 tokens in h5 (0.45 µ)',
        events: () => [ev('u2', h5 + 20 * MIN, { type: 'model', model: 'gpt-4o-mini', inputTokens: 3 })],
        // 3 × 0.15 = 0.45 → 0; the h5 gpt-4o-mini line is 0.45 → 0
        answer: { accepted: 1, duplicates: 0, costMicros: 0 },
        accumulatingDelta: 0,
      },
      {
        label: 'U3 gpt-4o-mini 3 more tokens in h5 (line reaches 0.9 µ)',
        events: () => [ev('u3', h5 + 25 * MIN, { type: 'model', model: 'gpt-4o-mini', inputTokens: 3 })],
        // the request alone: 0.45 → 0; the h5 gpt-4o-mini line: 0.45 + 0.45 = 0.9 → 1 (was 0)
        answer: { accepted: 1, duplicates: 0, costMicros: 0 },
        accumulatingDelta: 1,
      },
      {
        label: 'U4 BYOK claude-sonnet-4 in h5: tokens count, cost 0',
        events: () => [ev('u4', h5 + 30 * MIN, { type: 'model', model: 'claude-sonnet-4', inputTokens: 10_000, outputTokens: 2_000, byok: true })],
        // BYOK: 0 (at list price it would be 10,000 × 3 + 2,000 × 15 = 60,000)
        answer: { accepted: 1, duplicates: 0, costMicros: 0 },
        accumulatingDelta: 0,
      },
      {
        label: 'U5 three tool executions in h5',
        events: () => [1, 2, 3].map((i) => ev(`u5-${i}`, h5 + 40 * MIN + i * SEC, { type: 'tool_execution' })),
        // 3 × 1,000
        answer: { accepted: 3, duplicates: 0, costMicros: 3_000 },
        accumulatingDelta: 3_000,
      },
      {
        label: 'U6 a 12,345 µ charge in h5',
        events: () => [ev('u6', h5 + 50 * MIN, { type: 'charge', amountMicros: 12_345, description: 'Dedicated IP' })],
        answer: { accepted: 1, duplicates: 0, costMicros: 12_345 },
        accumulatingDelta: 12_345,
      },
      {
        label: 'U7 llama-3.1-70b 1 + 1 tokens in h3',
        events: () => [ev('u7', h3 + 5 * MIN, { type: 'model', model: 'llama-3.1-70b', inputTokens: 1, outputTokens: 1 })],
        // 0.88 + 0.88 = 1.76 → 2
        answer: { accepted: 1, duplicates: 0, costMicros: 2 },
        accumulatingDelta: 2,
      },
      {
        label: 'U8 gpt-4o 1 token in the last ms of h4',
        events: () => [ev('u8', h3 - 1, { type: 'model', model: 'gpt-4o', inputTokens: 1 })],
        // 1 × 2.5 = 2.5 → 3 (a half goes up)
        answer: { accepted: 1, duplicates: 0, costMicros: 3 },
        accumulatingDelta: 3,
      },
      {
        label: 'U9 gpt-4o 1 token in the first ms of h3',
        events: () => [ev('u9', h3, { type: 'model', model: 'gpt-4o', inputTokens: 1 })],
        // 2.5 → 3, on its own h3 line (together with U8 in one line it would be 5, not 6)
        answer: { accepted: 1, duplicates: 0, costMicros: 3 },
        accumulatingDelta: 3,
      },
      {
        label: 'U10 one request spanning h2 and h4',
        events: () => [
          ev('u10-a', h2 + 1 * MIN, { type: 'model', model: 'gpt-4o-mini', inputTokens: 1 }), // 0.15
          ev('u10-b', h2 + 2 * MIN, { type: 'model', model: 'gpt-4o-mini', inputTokens: 2 }), // 0.30
          ev('u10-c', h4 + 1 * MIN, { type: 'model', model: 'gpt-4o-mini', inputTokens: 1 }), // 0.15
        ],
        // the request: 0.15 + 0.30 + 0.15 = 0.6 → 1 (rounded once for the request);
        // the lines: h2 gpt-4o-mini 0.45 → 0 and h4 gpt-4o-mini 0.15 → 0
        answer: { accepted: 3, duplicates: 0, costMicros: 1 },
        accumulatingDelta: 0,
      },
      {
        label: 'U11 U1 again (same id, same body): a duplicate',
        events: () => [ev('u1', h5 + 10 * MIN, { type: 'model', model: 'gpt-4o', inputTokens: 1500, outputTokens: 700 })],
        answer: { accepted: 0, duplicates: 1, costMicros: 0 },
        accumulatingDelta: 0,
      },
    ];
    for (const row of rows) {
      const res = await postUsage(row.events(ws));
      answers.set(row.label, { status: res.status, body: res.body, accumulating: await accumulating(ws) });
    }
  });

  it('(a) POST /usage answers each request with its exact cost, rounded once', () => {
    for (const row of rows) {
      const got = answers.get(row.label)!;
      expect(got.status, row.label).toBe(200);
      expect(got.body, row.label).toEqual(row.answer);
    }
  });

  it('(b) accumulatingMicros moves by each line rounded once per hour', () => {
    let expected = 0;
    for (const row of rows) {
      expected += row.accumulatingDelta;
      expect(answers.get(row.label)!.accumulating, `after ${row.label}`).toBe(expected);
    }
    // 10,750 + 0 + 1 + 0 + 3,000 + 12,345 + 2 + 3 + 3 + 0 + 0
    expect(expected).toBe(26_104);
  });

  // Resources, started and stopped with explicit times (runtime billed per hour):
  //   R1 gpu-a10g  h4 + 50 min 7 s  →  h3 + 1,200,006 ms   (spans two hours)
  //   R2 volume 250 GB   h4  →  h2 + 30 min                 (spans three hours)
  //   R3 cpu-small       h2  →  h2 + 50 ms
  it('(b) stopped resources add their runtime, rounded once per resource per hour', async () => {
    const resources = [
      { id: 'res_tbl_a10g', kind: 'instance', instanceType: 'gpu-a10g', from: h4 + 50 * MIN + 7 * SEC, to: h3 + 1_200_006 },
      { id: 'res_tbl_vol', kind: 'volume', sizeBytes: 250 * GB, from: h4, to: h2 + 30 * MIN },
      { id: 'res_tbl_cpu', kind: 'instance', instanceType: 'cpu-small', from: h2, to: h2 + 50 },
    ];
    for (const r of resources) {
      const { from, to, ...body } = r;
      const start = await internal('POST', '/internal/v1/resources', { ...body, workspaceId: ws.workspaceId, memberId: ws.adminMemberId, startedAt: iso(from) });
      expect(start.status, r.id).toBe(201);
      const stop = await internal('POST', `/internal/v1/resources/${r.id}/stop`, { stoppedAt: iso(to) });
      expect(stop.status, r.id).toBe(200);
      expect(stop.body).toMatchObject({ status: 'stopped', startedAt: iso(from), stoppedAt: iso(to) });
    }
    // R1: h4: 9 min 53 s = 593,000 ms × 11/36 = 181,194.44 → 181,194
    //     h3: 1,200,006 ms × 11/36 = 366,668.5 → 366,669 (half up)               = 547,863
    // R2: h4 and h3: 250 GB × 1 h × 100,000 / 730 = 34,246.58 → 34,247 each
    //     h2: 250 GB × ½ h × 100,000 / 730 = 17,123.29 → 17,123                    = 85,617
    // R3: 50 ms × 0.01 = 0.5 → 1                                                    = 1
    expect(await accumulating(ws)).toBe(26_104 + 547_863 + 85_617 + 1); // 659,585
    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(credits.body.balanceMicros).toBe(GRANT - 659_585);
  });

  it('(c) the cron settles each past hour into one usage transaction of its lines, rounded once each', async () => {
    // Expected lines, by hand (hour, kind, line, µ):
    const expectedLines: Array<[number, string, string, number]> = [
      [h5, 'charge', 'u6', 12_345],
      [h5, 'tool', 'tools', 3_000], //                   3 × 1,000
      [h5, 'model', 'claude-sonnet-4', 0], //             BYOK
      [h5, 'model', 'gpt-4o', 10_750], //                 U1
      [h5, 'model', 'gpt-4o-mini', 1], //                 U2 + U3: 0.9 → 1
      [h4, 'model', 'gpt-4o', 3], //                      U8: 2.5 → 3
      [h4, 'model', 'gpt-4o-mini', 0], //                 U10-c: 0.15 → 0
      [h4, 'volume', 'res_tbl_vol', 34_247],
      [h4, 'instance', 'res_tbl_a10g', 181_194],
      [h3, 'model', 'gpt-4o', 3], //                      U9: 2.5 → 3
      [h3, 'model', 'llama-3.1-70b', 2], //               U7: 1.76 → 2
      [h3, 'volume', 'res_tbl_vol', 34_247],
      [h3, 'instance', 'res_tbl_a10g', 366_669],
      [h2, 'model', 'gpt-4o-mini', 0], //                 U10-a + U10-b: 0.45 → 0
      [h2, 'volume', 'res_tbl_vol', 17_123],
      [h2, 'instance', 'res_tbl_cpu', 1],
    ];
    const byHour = {
      [h5]: 12_345 + 3_000 + 0 + 10_750 + 1, //          = 26,096
      [h4]: 3 + 0 + 34_247 + 181_194, //                 = 215,444
      [h3]: 3 + 2 + 34_247 + 366_669, //                 = 400,921
      [h2]: 0 + 17_123 + 1, //                           = 17,124
    };
    expect(Object.values(byHour).reduce((s, v) => s + v, 0)).toBe(659_585);

    await fireCron(h1 + 5 * MIN); // settles every hour before h1
    await waitForHistory(ws.adminKey, '?type=usage&status=completed', (d) => d.length >= 4);
    const settled = await usageByHour(ws);
    expect(Object.fromEntries([...settled].map(([h, m]) => [iso(h), m]))).toEqual(
      Object.fromEntries(Object.entries(byHour).map(([h, m]) => [iso(Number(h)), -m])),
    );
    const lines = await settledLines(ws.workspaceId);
    expect(lines.map((l) => [l.hour_ms, l.kind, l.line_key, l.cost_micros])).toEqual(sortLines(expectedLines));

    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(credits.body).toMatchObject({ balanceMicros: GRANT - 659_585, accumulatingMicros: 0 });
    // Settling the same hours again changes nothing.
    expect(await settle(ws.workspaceId, h1)).toEqual({ settledHours: 0, chargedMicros: 0, forgivenMicros: 0 });
    expect((await usageByHour(ws)).size).toBe(4);
  });

  it('BYOK tokens are counted in the settled line and in my-usage, at cost 0', async () => {
    const claude = (await settledLines(ws.workspaceId)).find((l) => l.line_key === 'claude-sonnet-4');
    expect(claude).toMatchObject({ hour_ms: h5, input_tokens: 10_000, output_tokens: 2_000, cost_micros: 0 });
    const usage = await publicApi('GET', '/v1/billing/my-usage?period=7d', ws.adminKey);
    expect(usage.status).toBe(200);
    expect(usage.body.usage.modelUsage).toContainEqual({ model: 'claude-sonnet-4', inputTokens: 10_000, outputTokens: 2_000, totalTokens: 12_000, costMicros: 0 });
  });

  it('late usage for a settled hour is billed in the first unsettled hour, at its occurrence-time price', async () => {
    // h5 is settled (and so is everything up to h1). gpt-4o at h5 + 45 min: 100 in × 2.5 + 10 out × 10 = 350
    const late = await postUsage([
      { id: 'late-1', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, occurredAt: iso(h5 + 45 * MIN), type: 'model', model: 'gpt-4o', inputTokens: 100, outputTokens: 10 },
    ]);
    expect(late.status).toBe(200);
    expect(late.body).toEqual({ accepted: 1, duplicates: 0, costMicros: 350 });
    expect(await accumulating(ws)).toBe(350);

    expect(await settle(ws.workspaceId, H)).toMatchObject({ settledHours: 1, chargedMicros: 350, forgivenMicros: 0 });
    const settled = await usageByHour(ws);
    expect(settled.get(h1)).toBe(-350); // billed in h1, the first unsettled hour
    expect(settled.get(h5)).toBe(-26_096); // the settled hour is never reopened
    expect(settled.size).toBe(5);
    const line = (await settledLines(ws.workspaceId)).find((l) => l.hour_ms === h1);
    expect(line).toMatchObject({ kind: 'model', line_key: 'gpt-4o', input_tokens: 100, output_tokens: 10, cost_micros: 350 });
    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(credits.body).toMatchObject({ balanceMicros: GRANT - 659_585 - 350, accumulatingMicros: 0 });
  });
});

// --------------------------------------------------------------------------------------------------

describe('refusals record nothing', () => {
  let ws: TestWorkspace;
  let h3: number;
  beforeAll(async () => {
    h3 = hourOf(Date.now()) - 3 * HOUR_MS;
    ws = await createWorkspace('Refusals');
    await grant(ws.workspaceId, 10_000_000);
  });

  it('an unknown model refuses the whole request (400); the known event is not recorded either', async () => {
    const known = { id: 'ok-1', workspaceId: ws.workspaceId, occurredAt: iso(h3), type: 'model', model: 'gpt-4o', inputTokens: 1000 };
    const unknown = { id: 'bad-1', workspaceId: ws.workspaceId, occurredAt: iso(h3), type: 'model', model: 'gpt-9000', inputTokens: 1 };
    const res = await postUsage([known, { ...known, id: 'ok-2' }, unknown]);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain('events.2.model');
    expect(await accumulating(ws)).toBe(0);
    // The ids were not used up: sent again without the bad event, both are new (1000 × 2.5 each).
    const again = await postUsage([known, { ...known, id: 'ok-2' }]);
    expect(again.body).toEqual({ accepted: 2, duplicates: 0, costMicros: 5_000 });
    expect(await accumulating(ws)).toBe(5_000);
  });

  it('an unknown instance type is a 400 and records no resource', async () => {
    const body = { id: 'res_refused_1', workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'tpu-v9', startedAt: iso(h3) };
    const res = await internal('POST', '/internal/v1/resources', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain('instanceType');
    const stop = await internal('POST', '/internal/v1/resources/res_refused_1/stop', {});
    expect(stop.status).toBe(404);
    // The id is free: the same id with a known type starts (201), not a 409.
    const ok = await internal('POST', '/internal/v1/resources', { ...body, instanceType: 'cpu-small' });
    expect(ok.status).toBe(201);
    const stopped = await internal('POST', '/internal/v1/resources/res_refused_1/stop', { stoppedAt: iso(h3 + 30 * MIN) });
    expect(stopped.status).toBe(200);
    // 5,000 from the previous test + 30 min of cpu-small = 18,000
    expect(await accumulating(ws)).toBe(5_000 + 18_000);
  });
});

// --------------------------------------------------------------------------------------------------
// The price change. PUT /internal/v1/pricing takes effect from the moment of the call (P), so this
// part happens in the current hour C: usage before P keeps v1 prices, usage from P on gets v2.
//
//   v2 changes: gpt-4o 5 µ/in, 20 µ/out (was 2.5 / 10); gpu-a100 7,200,000 µ/h = 2 µ/ms (was 1);
//   storage 200,000 µ/GB-month (was 100,000); tools 2,000 µ (was 1,000);
//   new model burn-test-1 1 µ/in, 3 µ/out; new instance type cpu-new 72,000 µ/h.
// --------------------------------------------------------------------------------------------------

describe('a price change in the middle', () => {
  let C: number; // the current hour
  let P: number; // the instant v2 takes effect
  let S: number; // when B's resources stop, shortly after P
  let v1Version: number;
  let v2Version: number;
  let v2List: Record<string, unknown>;
  let wsB: TestWorkspace; // runtime across the change, its ledger object loaded before the change
  let wsD: TestWorkspace; // quotes and starts after the change, its ledger object loaded before it
  let wsE: TestWorkspace; // events before and after the change
  // 26,280 GB at 100,000 µ/GB-month is 26,280 × 10^9 × 100,000 / (10^9 × 730 × 3,600,000) = 1 µ/ms
  const BIG_VOLUME = 26_280 * GB;

  beforeAll(async () => {
    await awayFromHourEnd(30_000);
    C = hourOf(Date.now());
    [wsB, wsD, wsE] = await Promise.all([createWorkspace('Price change B'), createWorkspace('Price change D'), createWorkspace('Price change E')]);
    for (const w of [wsB, wsD, wsE]) await grant(w.workspaceId, 100_000_000);

    for (const r of [
      { id: 'res_pc_gpu', kind: 'instance', instanceType: 'gpu-a100' },
      { id: 'res_pc_vol', kind: 'volume', sizeBytes: BIG_VOLUME },
    ]) {
      const res = await internal('POST', '/internal/v1/resources', { ...r, workspaceId: wsB.workspaceId, startedAt: iso(C) });
      expect(res.status).toBe(201);
    }
    // Load the ledger objects of D and E with the old prices.
    for (const w of [wsD, wsE]) expect((await publicApi('GET', '/v1/billing/credits', w.adminKey)).status).toBe(200);

    const current = await internal('GET', '/internal/v1/pricing');
    expect(current.status).toBe(200);
    v1Version = current.body.version;
    const { version: _v, effectiveAt: _e, ...list } = current.body;
    const v2 = {
      ...list,
      models: [
        ...list.models.map((m: any) => (m.model === 'gpt-4o' ? { ...m, inputMicrosPerMillionTokens: 5_000_000, outputMicrosPerMillionTokens: 20_000_000 } : m)),
        { model: 'burn-test-1', inputMicrosPerMillionTokens: 1_000_000, outputMicrosPerMillionTokens: 3_000_000 },
      ],
      instanceTypes: [
        ...list.instanceTypes.map((t: any) => (t.instanceType === 'gpu-a100' ? { ...t, microsPerHour: 7_200_000 } : t)),
        { instanceType: 'cpu-new', microsPerHour: 72_000 },
      ],
      storage: { microsPerGbMonth: 200_000 },
      toolExecution: { microsPerExecution: 2_000 },
    };
    v2List = v2;
    const put = await internal('PUT', '/internal/v1/pricing', v2);
    expect(put.status).toBe(200);
    P = Date.parse(put.body.effectiveAt);
    v2Version = put.body.version;
    S = P + 20;
    await sleepUntil(S + 50); // so that S is in the past for the server too
    expect(hourOf(S)).toBe(C);
  }, 90_000);

  it('GET /pricing shows the new list in force', async () => {
    expect(v2Version).toBeGreaterThan(v1Version);
    const res = await internal('GET', '/internal/v1/pricing');
    expect(res.body.version).toBe(v2Version);
    expect(res.body.models).toContainEqual({ model: 'gpt-4o', inputMicrosPerMillionTokens: 5_000_000, outputMicrosPerMillionTokens: 20_000_000 });
    expect(res.body.toolExecution).toEqual({ microsPerExecution: 2_000 });
    // Sending the list in force again is not a new version (and does not move P).
    const again = await internal('PUT', '/internal/v1/pricing', v2List);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: v2Version, effectiveAt: iso(P) });
  });

  it('runtime across the change: old rate before P, new rate after, on one line per resource', async () => {
    for (const id of ['res_pc_gpu', 'res_pc_vol']) {
      const stop = await internal('POST', `/internal/v1/resources/${id}/stop`, { stoppedAt: iso(S) });
      expect(stop.status).toBe(200);
      expect(stop.body.stoppedAt).toBe(iso(S));
    }
    // gpu-a100:   (P - C) ms × 1 µ/ms + (S - P) = 20 ms × 2 µ/ms
    // the volume: (P - C) ms × 1 µ/ms + 20 ms × 2 µ/ms  (storage price doubled too)
    const perResource = (P - C) * 1 + 20 * 2;
    // soft: the live amount and the settled one are two separate findings
    expect.soft(await accumulating(wsB), '(b) accumulatingMicros').toBe(2 * perResource);
    expect.soft(await settle(wsB.workspaceId, C + HOUR_MS), 'settle').toMatchObject({ settledHours: 1, chargedMicros: 2 * perResource });
    expect.soft((await usageByHour(wsB)).get(C), '(c) usage transaction of hour C').toBe(-2 * perResource);
    const lines = await settledLines(wsB.workspaceId);
    expect(lines.map((l) => [l.kind, l.line_key, l.cost_micros]), '(c) settlement lines').toEqual([
      ['instance', 'res_pc_gpu', perResource],
      ['volume', 'res_pc_vol', perResource],
    ]);
  });

  it('a ledger object loaded before the change quotes at the new price and starts a new instance type', async () => {
    // gpu-a100 for 1 s at v2: 7,200,000 / 3,600 = 2,000 (v1 would say 1,000)
    const quote = await internal('GET', `/internal/v1/quotes/sandbox-runtime?workspaceId=${wsD.workspaceId}&instanceType=gpu-a100&seconds=1`);
    expect(quote.status).toBe(200);
    expect.soft(quote.body, 'quote').toMatchObject({ costMicros: 2_000, microsPerHour: 7_200_000 });
    const start = await internal('POST', '/internal/v1/resources', { id: 'res_pc_new', workspaceId: wsD.workspaceId, kind: 'instance', instanceType: 'cpu-new' });
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    await internal('POST', '/internal/v1/resources/res_pc_new/stop', {});
  });

  it('events before P keep the old prices, events from P on get the new ones', async () => {
    const ev = (id: string, occurredAtMs: number, fields: Record<string, unknown>) => ({ id, workspaceId: wsE.workspaceId, occurredAt: iso(occurredAtMs), ...fields });
    // A model that only v2 lists cannot have been used before P: 400, nothing recorded.
    const early = await postUsage([ev('early-new', C, { type: 'model', model: 'burn-test-1', inputTokens: 1 })]);
    expect(early.status).toBe(400);
    expect(early.body.error.code).toBe('invalid_request');

    const res = await postUsage([
      ev('e1', C, { type: 'model', model: 'gpt-4o', inputTokens: 1000, outputTokens: 100 }), // v1: 1000 × 2.5 + 100 × 10 = 3,500
      ev('e2', P, { type: 'model', model: 'gpt-4o', inputTokens: 1000, outputTokens: 100 }), // v2: 1000 × 5 + 100 × 20 = 7,000
      ev('e3', C, { type: 'tool_execution' }), //                                               v1: 1,000
      ev('e4', P + 1, { type: 'tool_execution' }), //                                           v2: 2,000
      ev('e5', P + 2, { type: 'model', model: 'burn-test-1', inputTokens: 7, outputTokens: 3 }), // v2: 7 × 1 + 3 × 3 = 16
    ]);
    expect(res.status).toBe(200);
    // 3,500 + 7,000 + 1,000 + 2,000 + 16
    expect(res.body).toEqual({ accepted: 5, duplicates: 0, costMicros: 13_516 });
    expect(await accumulating(wsE)).toBe(13_516);

    expect(await settle(wsE.workspaceId, C + HOUR_MS)).toMatchObject({ settledHours: 1, chargedMicros: 13_516 });
    expect((await usageByHour(wsE)).get(C)).toBe(-13_516);
    const lines = await settledLines(wsE.workspaceId);
    expect(lines.map((l) => [l.kind, l.line_key, l.cost_micros, l.count])).toEqual([
      ['model', 'burn-test-1', 16, 1],
      ['model', 'gpt-4o', 3_500 + 7_000, 2],
      ['tool', 'tools', 1_000 + 2_000, 2],
    ]);
  });

  it('late usage from before the change, reported after it, is billed in the next open hour at the old price', async () => {
    // Hour C is settled now; the next open hour is C + 1 h, where v2 is in force. gpt-4o 1000 in
    // at C (before P): v1 1000 × 2.5 = 2,500 (at v2 it would be 5,000).
    const res = await postUsage([{ id: 'late-e', workspaceId: wsE.workspaceId, occurredAt: iso(C), type: 'model', model: 'gpt-4o', inputTokens: 1000 }]);
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, costMicros: 2_500 });
    expect(await accumulating(wsE)).toBe(2_500);
    expect(await settle(wsE.workspaceId, C + 2 * HOUR_MS)).toMatchObject({ settledHours: 1, chargedMicros: 2_500 });
    const settled = await usageByHour(wsE);
    expect(settled.get(C + HOUR_MS)).toBe(-2_500);
    expect(settled.get(C)).toBe(-13_516);
  });
});
