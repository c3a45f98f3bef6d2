// Metered resources (POST /internal/v1/resources, …/:id/stop), the sandbox-runtime quote and the
// storage quota. Default prices: cpu-small 36,000 µ/h (10 µ/s), cpu-large 288,000 µ/h (80 µ/s),
// gpu-a10g 1,100,000 µ/h (305.55… µ/s), gpu-a100 3,600,000 µ/h (1,000 µ/s), gpu-h100 4,500,000 µ/h
// (1,250 µ/s); storage 100,000 µ per GB-month.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, grant, unique, type TestWorkspace, setWorkspaceCreatedAt } from '../helpers/fixtures';
import { HOUR_MS, hourOf } from '../helpers/settlement';
import { rowsInAllShards } from '../helpers/ledger_checks';

const MIN = 60_000;
const GB = 1_000_000_000;
const iso = (ms: number) => new Date(ms).toISOString();

const start = (body: Record<string, unknown>) => internal('POST', '/internal/v1/resources', body);
const stop = (id: string, body?: unknown) => internal('POST', `/internal/v1/resources/${id}/stop`, body);
const credits = async (ws: TestWorkspace) => (await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body;
const quote = (workspaceId: string, instanceType: string, seconds: number | string) =>
  internal('GET', `/internal/v1/quotes/sandbox-runtime?workspaceId=${workspaceId}&instanceType=${instanceType}&seconds=${seconds}`);
const quota = (workspaceId: string) => internal('GET', `/internal/v1/workspaces/${workspaceId}/storage-quota`);

let h3: number; // an hour three hours ago: explicit, settled-free times for start/stop
let ws: TestWorkspace;
let other: TestWorkspace;

beforeAll(async () => {
  h3 = hourOf(Date.now()) - 3 * HOUR_MS;
  [ws, other] = await Promise.all([createWorkspace('Resources'), createWorkspace('Someone else')]);
  await grant(ws.workspaceId, 10_000_000);
  await grant(other.workspaceId, 10_000_000);
});

describe('POST /internal/v1/resources: start metering', () => {
  const instanceBody = () => ({ id: 'res_inst_1', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, kind: 'instance', instanceType: 'cpu-small', startedAt: iso(h3) });
  const volumeBody = () => ({ id: 'res_vol_1', workspaceId: ws.workspaceId, kind: 'volume', sizeBytes: 5 * GB }); // no startedAt: now

  it.each([
    [
      'an instance',
      instanceBody,
      () => ({ id: 'res_inst_1', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, kind: 'instance', instanceType: 'cpu-small', sizeBytes: null, status: 'running', startedAt: iso(h3), stoppedAt: null, stopReason: null }),
    ],
    [
      'a volume',
      volumeBody,
      () => ({ id: 'res_vol_1', workspaceId: ws.workspaceId, memberId: null, kind: 'volume', instanceType: null, sizeBytes: 5 * GB, status: 'running', stoppedAt: null, stopReason: null }),
    ],
  ])('starts %s (201), and the same body again gets the same answer', async (_label, body, expected) => {
    const before = Date.now();
    const first = await start(body());
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject(expected());
    if (!('startedAt' in body())) {
      // started "now"
      expect(Date.parse(first.body.startedAt)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(first.body.startedAt)).toBeLessThanOrEqual(Date.now() + 1_000);
    }
    await new Promise((r) => setTimeout(r, 20)); // "now" moves on; the replay must still answer the original
    const again = await start(body());
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
  });

  it.each([
    ['another instance type', () => ({ ...instanceBody(), instanceType: 'cpu-large' })],
    ['another start time', () => ({ ...instanceBody(), startedAt: iso(h3 + 1_000) })],
    ['no start time', () => ({ ...instanceBody(), startedAt: undefined })],
    ['no member', () => ({ ...instanceBody(), memberId: undefined })],
    ['another kind', () => ({ ...instanceBody(), kind: 'volume', sizeBytes: GB })],
    ['another size (volume)', () => ({ ...volumeBody(), sizeBytes: 6 * GB })],
    ['another workspace', () => ({ ...volumeBody(), workspaceId: other.workspaceId })],
  ])('the same id with %s is a 409 idempotency_conflict', async (_label, body) => {
    const res = await start(body());
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('idempotency_conflict');
  });

  it.each([
    ['an instance without instanceType', { kind: 'instance' }, 400, 'instanceType'],
    ['a volume without sizeBytes', { kind: 'volume' }, 400, 'sizeBytes'],
    ['a volume of 0 bytes', { kind: 'volume', sizeBytes: 0 }, 400, 'sizeBytes'],
    ['a fractional size', { kind: 'volume', sizeBytes: 1.5 }, 400, 'sizeBytes'],
    ['an unknown kind', { kind: 'gpu', instanceType: 'cpu-small' }, 400, 'kind'],
    ['an unknown instance type', { kind: 'instance', instanceType: 'tpu-v9' }, 400, 'instanceType'],
    ['a start an hour in the future', { kind: 'instance', instanceType: 'cpu-small', startedAt: 'FUTURE' }, 400, 'startedAt'],
    ['an unknown workspace', { kind: 'volume', sizeBytes: GB, workspaceId: 'ws_doesnotexist0' }, 404, 'workspaceId'],
    ['an unknown member', { kind: 'volume', sizeBytes: GB, memberId: 'mem_doesnotexist0' }, 404, 'memberId'],
    ['a member of another workspace', { kind: 'volume', sizeBytes: GB, memberId: 'OTHER_MEMBER' }, 404, 'memberId'],
  ])('refuses %s (%i) and records nothing', async (_label, fields, status, field) => {
    const id = unique('res_refused').replaceAll('-', '_');
    const body: Record<string, unknown> = { id, workspaceId: ws.workspaceId, ...fields };
    if (body.startedAt === 'FUTURE') body.startedAt = iso(Date.now() + HOUR_MS);
    if (body.memberId === 'OTHER_MEMBER') body.memberId = other.adminMemberId;
    const res = await start(body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(status === 400 ? 'invalid_request' : 'not_found');
    expect(res.body.error.message).toContain(field);
    expect((await stop(id, {})).status).toBe(404); // no such resource
  });
});

describe('starting an instance needs a spendable balance', () => {
  it('an empty workspace gets 402 and nothing is recorded; after a grant the same request starts', async () => {
    const empty = await createWorkspace('Empty');
    const body = { id: 'res_broke_1', workspaceId: empty.workspaceId, kind: 'instance', instanceType: 'cpu-small', startedAt: iso(h3) };
    const res = await start(body);
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('insufficient_credits');
    expect((await stop('res_broke_1', {})).status).toBe(404);

    await grant(empty.workspaceId, 1_000);
    const ok = await start(body);
    expect(ok.status).toBe(201);
    expect((await stop('res_broke_1', { stoppedAt: iso(h3 + 1_000) })).status).toBe(200); // 1 s × 10 µ/s = 10 µ
  });

  it('usage accumulating in the open hour counts: a balance fully used is zero spendable', async () => {
    const spent = await createWorkspace('Spent');
    await grant(spent.workspaceId, 5_000);
    const usage = await internal('POST', '/internal/v1/usage', {
      events: [{ id: 'spend-all', workspaceId: spent.workspaceId, type: 'charge', amountMicros: 5_000, description: 'Everything' }],
    });
    expect(usage.status).toBe(200);
    expect(await credits(spent)).toMatchObject({ balanceMicros: 0, accumulatingMicros: 5_000 });
    const res = await start({ id: 'res_spent_1', workspaceId: spent.workspaceId, kind: 'instance', instanceType: 'cpu-small' });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('insufficient_credits');
  });
});

describe('POST /internal/v1/resources/:id/stop', () => {
  let billed: TestWorkspace;
  beforeAll(async () => {
    billed = await createWorkspace('Stops');
    await grant(billed.workspaceId, 10_000_000);
  });

  it('stops at the given time, and a second stop changes nothing (idempotent)', async () => {
    expect((await start({ id: 'res_stop_1', workspaceId: billed.workspaceId, kind: 'instance', instanceType: 'cpu-large', startedAt: iso(h3) })).status).toBe(201);
    const first = await stop('res_stop_1', { stoppedAt: iso(h3 + 45 * MIN) });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: 'res_stop_1', status: 'stopped', startedAt: iso(h3), stoppedAt: iso(h3 + 45 * MIN), stopReason: 'stopped' });
    // 45 min of cpu-large = 2,700 s × 80 µ/s = 216,000 — the stop time is what is billed
    expect((await credits(billed)).accumulatingMicros).toBe(216_000);

    for (const again of [{ stoppedAt: iso(h3 + 45 * MIN) }, { stoppedAt: iso(h3 + 50 * MIN) }, {}, undefined]) {
      const res = await stop('res_stop_1', again);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(first.body);
    }
    expect((await credits(billed)).accumulatingMicros).toBe(216_000);
  });

  it('without a time, stops now', async () => {
    expect((await start({ id: 'res_stop_2', workspaceId: billed.workspaceId, kind: 'volume', sizeBytes: GB })).status).toBe(201);
    const before = Date.now();
    const res = await stop('res_stop_2');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('stopped');
    expect(Date.parse(res.body.stoppedAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(res.body.stoppedAt)).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('never stops before the start', async () => {
    expect((await start({ id: 'res_stop_3', workspaceId: billed.workspaceId, kind: 'instance', instanceType: 'cpu-small', startedAt: iso(h3 + 10 * MIN) })).status).toBe(201);
    const res = await stop('res_stop_3', { stoppedAt: iso(h3) });
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.stoppedAt)).toBeGreaterThanOrEqual(h3 + 10 * MIN);
  });

  it.each([
    ['an unknown id', 'res_nope_404', false, () => ({}), 404, 'not_found'],
    ['a stop time an hour in the future', 'res_stop_4', true, () => ({ stoppedAt: iso(Date.now() + HOUR_MS) }), 400, 'invalid_request'],
    ['a stop time that is not a date', 'res_stop_5', true, () => ({ stoppedAt: 'yesterday' }), 400, 'invalid_request'],
  ])('refuses %s, and the resource keeps running', async (_label, id, exists, body, status, code) => {
    if (exists) expect((await start({ id, workspaceId: billed.workspaceId, kind: 'volume', sizeBytes: GB })).status).toBe(201);
    const res = await stop(id, body());
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (exists) {
      expect((await start({ id, workspaceId: billed.workspaceId, kind: 'volume', sizeBytes: GB })).body.status).toBe('running');
      expect((await stop(id, {})).body.status).toBe('stopped');
    }
  });
});

describe('GET /internal/v1/quotes/sandbox-runtime', () => {
  let rich: TestWorkspace; // 1,000,000 µ, nothing running, no usage: burn = the quoted instance alone
  let broke: TestWorkspace;
  beforeAll(async () => {
    [rich, broke] = await Promise.all([createWorkspace('Quote 1 credit'), createWorkspace('Quote 0')]);
    await grant(rich.workspaceId, 1_000_000);
  });

  // affordableSeconds = floor(spendable × 3,600 / (burn + rate)); here spendable = 1,000,000 and burn = 0
  it.each([
    ['cpu-small', 3_600, 36_000, true, 100_000], //        3,600 s × 10 µ/s;       3.6e9 / 36,000
    ['cpu-small', 1, 10, true, 100_000],
    ['cpu-large', 1, 80, true, 12_500], //                                            3.6e9 / 288,000
    ['gpu-a10g', 1, 306, true, 3_272], //                  305.56 → 306;           3.6e9 / 1.1e6 = 3,272.7
    ['gpu-a10g', 2, 611, true, 3_272], //                  611.11 → 611
    ['gpu-a10g', 7, 2_139, true, 3_272], //                2,138.89 → 2,139
    ['gpu-h100', 800, 1_000_000, true, 800], //            exactly the balance;    3.6e9 / 4.5e6
    ['gpu-h100', 801, 1_001_250, false, 800], //           one second too many
    ['gpu-a100', 366 * 24 * 3600, 31_622_400_000, false, 1_000], // the longest quote: 366 days × 86,400 s × 1,000 µ/s
  ])('%s for %i s costs %i µ; affordable %s; lasts %i s', async (instanceType, seconds, costMicros, affordable, affordableSeconds) => {
    const res = await quote(rich.workspaceId, instanceType, seconds);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ costMicros, affordable, affordableSeconds });
  });

  it('a workspace with nothing to spend can afford nothing', async () => {
    const res = await quote(broke.workspaceId, 'cpu-small', 60);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ costMicros: 600, affordable: false, affordableSeconds: 0 });
  });

  it('counts what already runs: affordableSeconds = spendable × 3,600 / (burn rate + the new rate)', async () => {
    const busy = await createWorkspace('Quote busy');
    await grant(busy.workspaceId, 1_000_000);
    expect((await start({ id: 'res_quote_busy', workspaceId: busy.workspaceId, kind: 'instance', instanceType: 'cpu-large' })).status).toBe(201);
    // The running instance spends while we look, so bracket the quote between two readings.
    const before = await credits(busy);
    const res = await quote(busy.workspaceId, 'gpu-a100', 60);
    const after = await credits(busy);
    expect(before.burnRateMicrosPerHour).toBe(288_000);
    expect(res.status).toBe(200);
    expect(res.body.costMicros).toBe(60_000); // 60 s × 1,000 µ/s
    const burn = 288_000 + 3_600_000;
    expect(res.body.affordableSeconds).toBeLessThanOrEqual(Math.floor((before.balanceMicros * 3600) / burn)); // ≈ 923 s
    expect(res.body.affordableSeconds).toBeGreaterThanOrEqual(Math.floor((after.balanceMicros * 3600) / burn));
    expect(res.body.affordable).toBe(true);
    await stop('res_quote_busy');
  });

  it.each([
    ['an unknown instance type', () => `workspaceId=${rich.workspaceId}&instanceType=tpu-v9&seconds=60`, 400],
    ['0 seconds', () => `workspaceId=${rich.workspaceId}&instanceType=cpu-small&seconds=0`, 400],
    ['fractional seconds', () => `workspaceId=${rich.workspaceId}&instanceType=cpu-small&seconds=1.5`, 400],
    ['more than 366 days', () => `workspaceId=${rich.workspaceId}&instanceType=cpu-small&seconds=${366 * 86_400 + 1}`, 400],
    ['no workspace', () => `instanceType=cpu-small&seconds=60`, 400],
    ['an unknown workspace', () => `workspaceId=ws_doesnotexist0&instanceType=cpu-small&seconds=60`, 404],
  ])('refuses %s', async (_label, query, status) => {
    const res = await internal('GET', `/internal/v1/quotes/sandbox-runtime?${query()}`);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(status === 400 ? 'invalid_request' : 'not_found');
  });
});

describe('GET /internal/v1/workspaces/:ws/storage-quota', () => {
  it('reports the bytes of running volumes of this workspace only', async () => {
    const sq = await createWorkspace('Quota');
    await grant(sq.workspaceId, 1_000_000);
    expect((await quota(sq.workspaceId)).body).toEqual({ usedBytes: 0, accessible: true });

    const steps: Array<[string, () => Promise<unknown>, number]> = [
      ['a 1 GB volume', () => start({ id: 'res_q_v1', workspaceId: sq.workspaceId, kind: 'volume', sizeBytes: GB }), GB],
      ['a 2.5 GB volume', () => start({ id: 'res_q_v2', workspaceId: sq.workspaceId, kind: 'volume', sizeBytes: 2.5 * GB }), 3.5 * GB],
      ['an instance (not storage)', () => start({ id: 'res_q_i1', workspaceId: sq.workspaceId, kind: 'instance', instanceType: 'cpu-small' }), 3.5 * GB],
      ['another workspace’s volume', () => start({ id: 'res_q_other', workspaceId: other.workspaceId, kind: 'volume', sizeBytes: 7 * GB }), 3.5 * GB],
      ['stopping the 1 GB volume', () => stop('res_q_v1'), 2.5 * GB],
      ['stopping it again', () => stop('res_q_v1'), 2.5 * GB],
      ['stopping the instance', () => stop('res_q_i1'), 2.5 * GB],
    ];
    for (const [label, step, usedBytes] of steps) {
      await step();
      const res = await quota(sq.workspaceId);
      expect(res.status, label).toBe(200);
      expect(res.body, label).toEqual({ usedBytes, accessible: true });
    }
    expect((await quota(other.workspaceId)).body.usedBytes).toBe(7 * GB);
  });

  it.each([
    ['an unknown workspace', 'ws_doesnotexist0', 404, 'not_found'],
    ['a malformed workspace id', 'nope', 400, 'invalid_request'],
  ])('refuses %s', async (_label, id, status, code) => {
    const res = await quota(id);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });
});

describe('resource starts in the past', () => {
  it('a start before the workspace existed, or older than the retention window, is a 400 and starts nothing', async () => {
    const young = await createWorkspace('Old starts');
    // Old enough that only the retention window refuses a start 36 days ago (set before first use).
    const old = await createWorkspace('Older starts');
    await setWorkspaceCreatedAt(old.workspaceId, Date.now() - 400 * 86_400_000);
    const created = (await env.DB.prepare('SELECT created_at_ms AS c FROM workspaces WHERE id = ?').bind(young.workspaceId).first<{ c: number }>())!.c;
    const start = (workspaceId: string, startedAtMs: number) =>
      internal('POST', '/internal/v1/resources', { id: `res_${unique('old').replaceAll('-', '_')}`, workspaceId, kind: 'instance', instanceType: 'cpu-small', startedAt: new Date(startedAtMs).toISOString() });
    const before = await start(young.workspaceId, created - 1_000);
    expect(before.status).toBe(400);
    expect(before.body.error.message).toContain('before the workspace was created');
    const ancient = await start(old.workspaceId, Date.now() - 36 * 86_400_000);
    expect(ancient.status).toBe(400);
    expect(ancient.body.error.message).toContain('retention window');
    const running = { n: (await rowsInAllShards<{ n: number }>('SELECT COUNT(*) AS n FROM resources WHERE workspace_id IN (?, ?)', young.workspaceId, old.workspaceId)).reduce((a, r) => a + r.n, 0) };
    expect(running!.n).toBe(0);
    await grant(old.workspaceId, 10_000_000);
    expect((await start(old.workspaceId, Date.now() - 2 * 86_400_000)).status).toBe(201);
  });
});
