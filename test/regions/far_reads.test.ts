import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import type { RegionalLedger } from '../../workers/regions/regional_ledger';
import { deliverSettlement, HOUR_MS, hourOf } from '../helpers/settlement';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setSimulatedRttMs } from '../../workers/regions/cross_region';
import { rawFetch } from '../helpers/api';
import { recordReadSessions, type SessionRecord } from '../../workers/storage/read_session';
import type { Region } from '../../workers/regions/regions';
import { payCheckout, eventFor, deliver } from '../stripe/stripe_helpers';
import { deductFrom, from, grantTo, regional, unique } from './regions_helpers';
import { internalWithHeaders } from '../helpers/api';
import { WORKSPACE_AGE_MS, setWorkspaceCreatedAt } from '../helpers/fixtures';
import { env } from 'cloudflare:workers';

// Public reads from a region away from home go through a D1 session (read replication) started
// from the regional object's read floor (docs/regions.md "Reads near the caller"). Locally D1 has
// no replicas, but sessions and bookmarks work: the recorder below sees every session opened and
// the bookmark it started from, so these tests check that a write's bookmark reaches the next read.

let sessions: SessionRecord[] = [];
beforeEach(() => {
  sessions = [];
  recordReadSessions(sessions);
});
afterEach(() => recordReadSessions(null));

async function workspaceWithKey(homeRegion: Region): Promise<{ ws: string; key: string }> {
  const res = await internalWithHeaders('POST', '/internal/v1/workspaces', {}, { name: 'Far reads', homeRegion, admin: { name: 'Ada', email: `${unique('ada')}@example.com` } });
  expect(res.status).toBe(201);
  const ws = res.body.workspace.id as string;
  const row = await env.DB.prepare('SELECT created_at_ms AS c FROM workspaces WHERE id = ?').bind(ws).first<{ c: number }>();
  await setWorkspaceCreatedAt(ws, row!.c - WORKSPACE_AGE_MS);
  return { ws, key: res.body.apiKey as string };
}

async function publicFrom(region: Region, method: string, path: string, key: string, body?: unknown) {
  const headers: Record<string, string> = { 'x-api-key': key, 'X-Burnrate-Region': region };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await rawFetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

const history = async (region: Region, key: string, filter = '') => {
  const res = await publicFrom(region, 'GET', `/v1/billing/credits/history?limit=50${filter}`, key);
  expect(res.status).toBe(200);
  return res.body.data as Array<{ id: string; type: string; status: string; amountMicros: number }>;
};
const summary = async (region: Region, key: string) => {
  const res = await publicFrom(region, 'GET', '/v1/billing/credits', key);
  expect(res.status).toBe(200);
  return res.body as { balanceMicros: number; paidMicros: number; promotionalMicros: number; heldMicros: number; accumulatingMicros: number };
};

/** The sessions opened on the primary (home's bookmarks) and those started from a bookmark (the reads). */
const primaries = () => sessions.filter((s) => s.start === 'first-primary');
const readsFromBookmark = () => sessions.filter((s) => s.start !== 'first-primary' && s.start !== 'first-unconstrained');

describe('reads from a far region: read-your-writes through a replica session', () => {
  it('a deduction decided in the region is in the next history page and summary there', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    // Decided in weur from its lease: in weur's SQLite only, not yet reported home nor in D1.
    const d = await deductFrom('weur', ws, 1_000_000);
    expect(d.status).toBe(201);
    expect(d.headers.get('X-Burnrate-Decided-In')).toBe('weur');
    expect((await regional(ws, 'weur').leaseState()).unreportedMicros).toBe(1_000_000);

    const page = await history('weur', key);
    expect(page.map((t) => t.id)).toContain(d.body.id);
    expect(page.find((t) => t.id === d.body.id)).toMatchObject({ type: 'usage', amountMicros: -1_000_000, status: 'completed' });
    // The read's session started from the bookmark home took on the primary once the spend was in D1.
    expect(primaries()).toHaveLength(1);
    const homeBookmark = primaries()[0]!.session.getBookmark();
    expect(homeBookmark).toEqual(expect.any(String));
    expect(readsFromBookmark().map((s) => s.start)).toEqual([homeBookmark]);

    const credits = await summary('weur', key);
    expect(credits.promotionalMicros + credits.paidMicros).toBe(4_000_000);
  });

  it('the summary shows a far deduction at once, before the region reports it', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    const d = await deductFrom('apac', ws, 700_000);
    expect(d.headers.get('X-Burnrate-Decided-In')).toBe('apac');
    expect((await regional(ws, 'apac').leaseState()).unreportedMicros).toBe(700_000);
    const credits = await summary('apac', key);
    expect(credits.promotionalMicros + credits.paidMicros).toBe(4_300_000);
    expect((await regional(ws, 'apac').leaseState()).unreportedMicros).toBe(0);
  });

  it('each read starts from the bookmark the previous one reached; a write makes the next read ask home again', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    await history('oc', key); // a fresh regional object knows no bookmark: one from home
    expect(primaries()).toHaveLength(1);
    const reached = readsFromBookmark()[0]!.session.getBookmark();
    // The bookmark is kept after the answer (waitUntil): let it land.
    await new Promise((r) => setTimeout(r, 50));

    await history('oc', key);
    expect(primaries()).toHaveLength(1); // no write since: no call home
    expect(readsFromBookmark()[1]!.start).toBe(reached);

    const d = await deductFrom('oc', ws, 250_000);
    expect(d.status).toBe(201);
    const page = await history('oc', key);
    expect(page.map((t) => t.id)).toContain(d.body.id);
    expect(primaries()).toHaveLength(2);
    expect(readsFromBookmark()[2]!.start).toBe(primaries()[1]!.session.getBookmark());
  });

  it('a hold captured in the region is in the next history page and summary; a released one moves nothing', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    const hold = await from('sam', 'POST', '/internal/v1/holds', { id: unique('h'), workspaceId: ws, amountMicros: 400_000 });
    expect(hold.status).toBe(201);
    expect(hold.headers.get('X-Burnrate-Decided-In')).toBe('sam');
    const capture = await from('sam', 'POST', `/internal/v1/holds/${hold.body.id}/capture`, { amountMicros: 300_000 });
    expect(capture.status).toBe(200);
    const txn = capture.body.transaction.id as string;
    const page = await history('sam', key);
    expect(page.find((t) => t.id === txn)).toMatchObject({ amountMicros: -300_000 });
    expect((await summary('sam', key)).promotionalMicros).toBe(4_700_000);
    const h2 = await from('sam', 'POST', '/internal/v1/holds', { id: unique('h'), workspaceId: ws, amountMicros: 100_000 });
    expect((await from('sam', 'POST', `/internal/v1/holds/${h2.body.id}/release`, {})).status).toBe(200);
    expect((await history('sam', key)).filter((t) => t.type === 'usage')).toHaveLength(1);
  });

  it('a deduction sent home from the region (short of lease) is in the next history page there', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 1_000_000);
    // More than any lease home would grant (at most half of what it could give): decided at home.
    const d = await deductFrom('me', ws, 900_000);
    expect(d.status).toBe(201);
    expect(d.headers.get('X-Burnrate-Decided-In')).toBe('enam');
    const page = await history('me', key);
    expect(page.map((t) => t.id)).toContain(d.body.id);
    expect((await summary('me', key)).promotionalMicros).toBe(100_000);
  });

  it('a deposit opened from the region by its API key (a Checkout top-up) is in the next history page there', async () => {
    const { key } = await workspaceWithKey('enam');
    await history('eeur', key);
    const before = primaries().length;
    const created = await publicFrom('eeur', 'POST', '/v1/billing/topup', key, { amountCents: 2500 });
    expect(created.status).toBe(201);
    const page = await history('eeur', key);
    expect(page[0]).toMatchObject({ id: created.body.transactionId, type: 'deposit', status: 'pending' });
    // The write through the region made this read take a new bookmark from home.
    expect(primaries().length).toBe(before + 1);
    expect(readsFromBookmark().at(-1)!.start).toBe(primaries().at(-1)!.session.getBookmark());

    // Paid, and confirmed by the browser's return (GET /v1/billing/success, a GET that writes) from the region.
    expect((await payCheckout(created.body.sessionId)).status).toBe(200);
    const marked = primaries().length;
    const success = await publicFrom('eeur', 'GET', `/v1/billing/success?session_id=${created.body.sessionId}`, key);
    expect(success.status).toBe(200);
    expect(success.body.status).toBe('completed');
    expect((await history('eeur', key))[0]).toMatchObject({ id: created.body.transactionId, status: 'completed' });
    expect(primaries().length).toBe(marked + 1);
    expect((await summary('eeur', key)).paidMicros).toBe(25_000_000);
    // The webhook after it changes nothing.
    expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
    expect((await summary('eeur', key)).paidMicros).toBe(25_000_000);
  });

  it('a grant the platform sends home from the region is in the next history page there', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 1_000_000);
    await history('wnam', key);
    const before = primaries().length;
    const g = await from('wnam', 'POST', '/internal/v1/grants', { id: unique('g'), workspaceId: ws, amountMicros: 2_000_000, description: 'Paid credit', category: 'paid' });
    expect(g.status).toBe(201);
    const page = await history('wnam', key);
    expect(page.map((t) => t.id)).toContain(g.body.transaction.id);
    expect(primaries().length).toBe(before + 1);
    expect((await summary('wnam', key)).paidMicros).toBe(2_000_000);
    // A refused one (a bad body) moves nothing.
    expect((await from('wnam', 'POST', '/internal/v1/grants', { id: unique('g'), workspaceId: ws, amountMicros: -1 })).status).toBe(400);
    await history('wnam', key);
    expect(primaries().length).toBe(before + 1);
  });

  it('my-usage from a far region counts a deduction decided there', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    const d = await deductFrom('afr', ws, 600_000);
    expect(d.headers.get('X-Burnrate-Decided-In')).toBe('afr');
    const res = await publicFrom('afr', 'GET', '/v1/billing/my-usage?all=true', key);
    expect(res.status).toBe(200);
    expect(res.body.totals.totalMicros).toBe(600_000);
    expect(readsFromBookmark()).toHaveLength(1);
  });

  it('a transaction by id: from the replica when it has it, else looked up as at home; another workspace\'s is 404', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    const other = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    const near = await deductFrom('weur', ws, 200_000);
    const res = await publicFrom('weur', 'GET', `/v1/billing/transactions/${near.body.id}`, key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: near.body.id, amountMicros: -200_000, funding: [{ category: 'promotional', amountMicros: 200_000 }] });
    // Made at home, not through weur: weur's floor does not cover it, and it may not be in D1 yet
    // (the ledger object projects within 40 ms): the replica's miss is looked up at home.
    const atHome = await deductFrom('enam', ws, 300_000);
    const far = await publicFrom('weur', 'GET', `/v1/billing/transactions/${atHome.body.id}`, key);
    expect(far.status).toBe(200);
    expect(far.body).toMatchObject({ id: atHome.body.id, amountMicros: -300_000 });
    expect((await publicFrom('weur', 'GET', `/v1/billing/transactions/${near.body.id}`, other.key)).status).toBe(404);
  });

  it('the first far history page starts with the open hour, from the region\'s copy of the summary', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    const usage = await internalWithHeaders('POST', '/internal/v1/usage', {}, { events: [{ id: unique('tool'), workspaceId: ws, type: 'tool_execution' }] });
    expect(usage.status).toBe(200);
    const d = await deductFrom('weur', ws, 100_000);
    const credits = await summary('weur', key);
    const page = await history('weur', key);
    expect(page[0]).toMatchObject({ type: 'usage', status: 'accumulating', amountMicros: -credits.accumulatingMicros });
    expect(credits.accumulatingMicros).toBeGreaterThan(0);
    expect(page.map((t) => t.id)).toContain(d.body.id);
    const next = await publicFrom('weur', 'GET', '/v1/billing/credits/history?limit=1', key);
    expect(next.body.data[0].status).toBe('accumulating');
    const rest = await publicFrom('weur', 'GET', `/v1/billing/credits/history?limit=50&cursor=${next.body.nextCursor}`, key);
    expect(rest.body.data.map((t: { id: string }) => t.id)).toContain(d.body.id);
    expect(rest.body.data.some((t: { status: string }) => t.status === 'accumulating')).toBe(false);
  });

  it('a far page whose summary copy predates a settlement the replica has is read as at home: the hour shows once', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    const lastHourMs = hourOf(Date.now()) - HOUR_MS;
    const usage = await internalWithHeaders('POST', '/internal/v1/usage', {}, { events: [{ id: unique('tool'), workspaceId: ws, type: 'tool_execution', occurredAt: new Date(lastHourMs + 1000).toISOString() }] });
    expect(usage.status).toBe(200);
    // weur's copy of the summary never expires in this test: its clock stands still.
    const frozenMs = Date.now();
    await runInDurableObject(regional(ws, 'weur'), (instance: RegionalLedger) => {
      instance.clock = () => frozenMs;
    });
    const copy = await summary('weur', key);
    expect(copy.accumulatingMicros).toBeGreaterThan(0);
    const settled = await deliverSettlement([{ workspaceId: ws, cutoffMs: lastHourMs + HOUR_MS }]);
    expect(settled.explicitAcks).toHaveLength(1);
    const page = await history('weur', key);
    expect(page.filter((t) => t.status === 'accumulating')).toEqual([]);
    expect(page.filter((t) => t.type === 'usage' && t.status === 'completed').map((t) => t.amountMicros)).toEqual([-copy.accumulatingMicros]);
    // The copy itself is still the old one: the page did not use it.
    expect((await summary('weur', key)).accumulatingMicros).toBe(copy.accumulatingMicros);
    await runInDurableObject(regional(ws, 'weur'), (instance: RegionalLedger) => {
      instance.clock = () => Date.now();
    });
  });

  it('reads at home open no session: the primary, as before', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    const d = await deductFrom('enam', ws, 100_000);
    expect((await history('enam', key)).map((t) => t.id)).toContain(d.body.id);
    expect(sessions).toHaveLength(0);
  });
});

describe('what a far read costs, with 300 ms between regions', () => {
  beforeAll(() => setSimulatedRttMs(300));
  afterAll(() => setSimulatedRttMs(null));

  it('only the read right after a write through the region waits for home', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    await history('weur', key); // the fresh floor's first sync
    const d = await deductFrom('weur', ws, 100_000); // asks home for a lease (one round trip), decided in weur
    expect(d.headers.get('X-Burnrate-Decided-In')).toBe('weur');
    const timed = async () => {
      const started = Date.now();
      const page = await history('weur', key);
      return { page, ms: Date.now() - started };
    };
    const afterWrite = await timed(); // reports the spend (one round trip), then home's bookmark (another)
    expect(afterWrite.page.map((t) => t.id)).toContain(d.body.id);
    await new Promise((r) => setTimeout(r, 50));
    const next = await timed();
    expect(next.page.map((t) => t.id)).toContain(d.body.id);
    console.log(JSON.stringify({ rttMs: 300, readAfterWriteMs: afterWrite.ms, nextReadMs: next.ms }));
    expect(afterWrite.ms).toBeGreaterThanOrEqual(600);
    expect(next.ms).toBeLessThan(300);
  });
});

describe('the read floor refreshed after a report, with 300 ms between regions', () => {
  beforeAll(() => setSimulatedRttMs(300));
  afterAll(() => setSimulatedRttMs(null));

  it('once the region reported its spends (its alarm), a reader there does not wait for home', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    await history('sam', key); // the fresh floor's sync; sam's reads are in use
    const d = await deductFrom('sam', ws, 100_000);
    expect(d.headers.get('X-Burnrate-Decided-In')).toBe('sam');
    const before = primaries().length;
    expect(await runDurableObjectAlarm(regional(ws, 'sam'))).toBe(true); // the report, then the floor in the background
    for (let i = 0; i < 100 && primaries().length === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(primaries().length).toBe(before + 1);
    const bookmark = primaries().at(-1)!.session.getBookmark();
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    // (Completed entries only: no accumulating row, so nothing of home's memory is asked for either.)
    const page = await history('sam', key, '&status=completed');
    const ms = Date.now() - started;
    expect(page.map((t) => t.id)).toContain(d.body.id);
    expect(readsFromBookmark().at(-1)!.start).toBe(bookmark);
    expect(primaries().length).toBe(before + 1);
    expect(ms).toBeLessThan(300);
  });

  it('a region nobody reads from is not refreshed', async () => {
    const { ws } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    expect((await deductFrom('oc', ws, 100_000)).headers.get('X-Burnrate-Decided-In')).toBe('oc');
    expect(await runDurableObjectAlarm(regional(ws, 'oc'))).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect(primaries()).toHaveLength(0);
  });
});

describe('the far credit summary: the regional object\'s copy of home\'s', () => {
  beforeAll(() => setSimulatedRttMs(300));
  afterAll(() => setSimulatedRttMs(null));

  const timedSummary = async (region: Region, key: string) => {
    const started = Date.now();
    const value = await summary(region, key);
    return { value, ms: Date.now() - started };
  };

  it('is served in the region for a second, and taken from home again at once after a write through the region', async () => {
    const { ws, key } = await workspaceWithKey('enam');
    await grantTo(ws, 5_000_000);
    const first = await timedSummary('apac', key);
    expect(first.ms).toBeGreaterThanOrEqual(300); // home's, across regions
    expect(first.value.promotionalMicros).toBe(5_000_000);
    const again = await timedSummary('apac', key);
    expect(again.ms).toBeLessThan(300); // the copy, in the region
    expect(again.value).toEqual(first.value);

    const d = await deductFrom('apac', ws, 400_000);
    expect(d.headers.get('X-Burnrate-Decided-In')).toBe('apac');
    const afterWrite = await timedSummary('apac', key);
    expect(afterWrite.value.promotionalMicros + afterWrite.value.paidMicros).toBe(4_600_000);
    expect(afterWrite.ms).toBeGreaterThanOrEqual(600); // the spend's report, then home's summary
    console.log(JSON.stringify({ rttMs: 300, summaryFromHomeMs: first.ms, summaryInRegionMs: again.ms, summaryAfterWriteMs: afterWrite.ms }));
  });
});
