// Usage events live in their workspace's ledger object, not in D1: D1 does not grow with events,
// ids are deduplicated exactly inside the retention window (across eviction), events older than
// the window are refused, settled hours are archived to R2 before their events may be pruned, and
// the raw events of an hour can be paged while they are inside the window.
import { env } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { archiveKey } from '../../workers/usage/archive_hour';
import { internal } from '../helpers/api';
import { createWorkspace, grant, unique, setWorkspaceCreatedAt } from '../helpers/fixtures';
import { ledgerStub, storedEventsOf } from '../helpers/ledger_checks';
import { HOUR_MS, hourOf } from '../helpers/settlement';
import { shardD1s } from '../helpers/ledger_checks';

const DAY_MS = 86_400_000;
const CREDIT = 1_000_000;

const modelEvent = (workspaceId: string, id: string, occurredAtMs?: number, inputTokens = 1000) => ({
  id,
  workspaceId,
  type: 'model',
  model: 'gpt-4o-mini',
  inputTokens,
  outputTokens: 100,
  ...(occurredAtMs === undefined ? {} : { occurredAt: new Date(occurredAtMs).toISOString() }),
});

async function postAll(events: object[], perRequest = 1000) {
  const totals = { accepted: 0, duplicates: 0, costMicros: 0 };
  for (let i = 0; i < events.length; i += perRequest) {
    const res = await internal('POST', '/internal/v1/usage', { events: events.slice(i, i + perRequest) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    totals.accepted += res.body.accepted;
    totals.duplicates += res.body.duplicates;
    totals.costMicros += res.body.costMicros;
  }
  return totals;
}

/** Bytes of the D1 database file, as D1 reports it after a statement. */
async function d1SizeBytes(): Promise<number> {
  // Every database: the directory and each ledger shard.
  const results = await Promise.all([env.DB, ...shardD1s()].map((d1) => d1.prepare('SELECT 1').run()));
  const sizes = results.map((r) => (r.meta as { size_after?: number }).size_after);
  for (const size of sizes) expect(typeof size, 'D1 reports its size').toBe('number');
  return sizes.reduce<number>((a, b) => a + b!, 0);
}

async function gunzipLines(body: ReadableStream): Promise<any[]> {
  const text = await new Response(body.pipeThrough(new DecompressionStream('gzip'))).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('D1 does not grow with usage events', () => {
  it('100,000 events into one workspace grow the D1 database by less than 100 KB', async () => {
    const ws = await createWorkspace('Hundred thousand events');
    await grant(ws.workspaceId, 1_000 * CREDIT);
    // Warm up: the first event of an hour records in D1 that this workspace has events to settle.
    await postAll([modelEvent(ws.workspaceId, 'warm-up')]);
    const before = await d1SizeBytes();
    const prefix = unique('bulk');
    const events = Array.from({ length: 100_000 }, (_, i) => modelEvent(ws.workspaceId, `${prefix}-${i}`));
    const totals = await postAll(events);
    expect(totals).toMatchObject({ accepted: 100_000, duplicates: 0 });
    const grownBytes = (await d1SizeBytes()) - before;
    expect(grownBytes).toBeLessThan(100 * 1024);
    expect(await storedEventsOf(ws.workspaceId)).toBe(100_001);
    const credits = await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=1`);
    expect(credits.body.balanceMicros).toBeLessThan(1_000 * CREDIT);
  }, 120_000);
});

describe('deduplication inside the retention window', () => {
  it('10,000 events resent after the object was evicted are duplicates with cost 0', async () => {
    const ws = await createWorkspace('Replays after eviction');
    await grant(ws.workspaceId, 100 * CREDIT);
    const prefix = unique('replay');
    const events = Array.from({ length: 10_000 }, (_, i) => modelEvent(ws.workspaceId, `${prefix}-${i}`, undefined, 500 + (i % 7)));
    const first = await postAll(events);
    expect(first.accepted).toBe(10_000);
    expect(first.costMicros).toBeGreaterThan(0);
    const creditsBefore = (await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=1`)).body.balanceMicros;

    await evictDurableObject(ledgerStub(ws.workspaceId));
    const again = await postAll(events);
    expect(again).toEqual({ accepted: 0, duplicates: 10_000, costMicros: 0 });
    const creditsAfter = (await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=1`)).body.balanceMicros;
    expect(creditsAfter).toBe(creditsBefore);

    // The same id with another body is a conflict, also after eviction.
    await evictDurableObject(ledgerStub(ws.workspaceId));
    const conflict = await internal('POST', '/internal/v1/usage', { events: [{ ...events[42]!, inputTokens: 1 }] });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    expect(await storedEventsOf(ws.workspaceId)).toBe(10_000);
  }, 60_000);

  it('an event older than the window is a 400 naming the window, and nothing of its request is recorded', async () => {
    const ws = await createWorkspace('Too old');
    // Old enough that only the window refuses it, not the workspace's age.
    await setWorkspaceCreatedAt(ws.workspaceId, Date.now() - 400 * DAY_MS);
    const fresh = modelEvent(ws.workspaceId, unique('fresh'));
    const old = modelEvent(ws.workspaceId, unique('old'), Date.now() - 36 * DAY_MS);
    const res = await internal('POST', '/internal/v1/usage', { events: [fresh, old] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain('events.1.occurredAt');
    expect(res.body.error.message).toContain('retention window (35 days)');
    expect(await storedEventsOf(ws.workspaceId)).toBe(0);

    // Just inside the window is accepted.
    const inside = modelEvent(ws.workspaceId, unique('inside'), Date.now() - 34 * DAY_MS);
    expect((await postAll([inside])).accepted).toBe(1);
  });

  it('an event from before the workspace existed is a 400', async () => {
    const ws = await createWorkspace('Before creation');
    const created = (await env.DB.prepare('SELECT created_at_ms AS c FROM workspaces WHERE id = ?').bind(ws.workspaceId).first<{ c: number }>())!.c;
    const res = await internal('POST', '/internal/v1/usage', { events: [modelEvent(ws.workspaceId, unique('early'), created - 60_000)] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('before the workspace was created');
    expect(await storedEventsOf(ws.workspaceId)).toBe(0);
  });

  it('the ledger object refuses an event outside the window even when a caller skips the route', async () => {
    const ws = await createWorkspace('Object guard');
    const stub = ledgerStub(ws.workspaceId);
    const old = Date.now() - 36 * DAY_MS;
    const result = await stub.ingest(ws.workspaceId, [
      { id: 'direct-old', requestIndex: 0, requestHash: 'h', memberId: '', occurredAtMs: old, type: 'tool_execution', byok: false, model: '', inputTokens: 0, outputTokens: 0, amountMicros: 0, description: '' },
    ]);
    expect(result).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(await storedEventsOf(ws.workspaceId)).toBe(0);
  });
});

describe('archive and pruning', () => {
  it('settlement archives exactly the hour\'s events to R2; pruning keeps unsettled hours and drops settled ones past the window', async () => {
    const ws = await createWorkspace('Archive');
    await grant(ws.workspaceId, 100 * CREDIT);
    const current = hourOf(Date.now());
    const h1 = current - 2 * HOUR_MS;
    const h2 = current - HOUR_MS;
    const prefix = unique('arch');
    const inH1 = Array.from({ length: 30 }, (_, i) => modelEvent(ws.workspaceId, `${prefix}-a${i}`, h1 + 60_000 + i));
    const inH2 = [
      ...Array.from({ length: 20 }, (_, i) => modelEvent(ws.workspaceId, `${prefix}-b${i}`, h2 + 120_000 + i)),
      { id: `${prefix}-charge`, workspaceId: ws.workspaceId, type: 'charge', amountMicros: 12_345, description: 'Snapshot export', occurredAt: new Date(h2 + 5_000).toISOString() },
      { id: `${prefix}-byok`, workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o', inputTokens: 10, outputTokens: 5, byok: true, occurredAt: new Date(h2 + 6_000).toISOString() },
    ];
    const inCurrent = [modelEvent(ws.workspaceId, `${prefix}-c0`)];
    await postAll([...inH1, ...inH2, ...inCurrent]);
    const stub = ledgerStub(ws.workspaceId);

    // Far in the future, before settlement: nothing of an unsettled hour may go.
    const farFutureMs = Date.now() + 400 * DAY_MS;
    expect(await stub.pruneEvents(ws.workspaceId, farFutureMs)).toMatchObject({ ok: true, value: { pruned: 0 } });
    expect(await storedEventsOf(ws.workspaceId)).toBe(53);

    // Settle h1 only: its archive holds exactly its 30 events; h2 has none yet.
    expect(await stub.settle(ws.workspaceId, h2)).toMatchObject({ ok: true, value: { settledHours: 1 } });
    const a1 = await env.USAGE_ARCHIVE.get(archiveKey(ws.workspaceId, h1));
    expect(a1).not.toBeNull();
    expect(a1!.customMetadata).toMatchObject({ events: '30' });
    const lines1 = await gunzipLines(a1!.body);
    expect(lines1.map((e) => e.id).sort()).toEqual(inH1.map((e) => e.id).sort());
    expect(lines1[0]).toMatchObject({ workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o-mini', billedHour: new Date(h1).toISOString() });
    expect(await env.USAGE_ARCHIVE.get(archiveKey(ws.workspaceId, h2))).toBeNull();

    // Now h1 is settled: past the window it goes; h2 (unsettled) and the current hour stay.
    expect(await stub.pruneEvents(ws.workspaceId, farFutureMs)).toMatchObject({ ok: true, value: { pruned: 30 } });
    expect(await storedEventsOf(ws.workspaceId)).toBe(23);

    expect(await stub.settle(ws.workspaceId, current)).toMatchObject({ ok: true, value: { settledHours: 1 } });
    const lines2 = await gunzipLines((await env.USAGE_ARCHIVE.get(archiveKey(ws.workspaceId, h2)))!.body);
    expect(lines2.map((e) => e.id).sort()).toEqual(inH2.map((e) => e.id).sort());
    expect(lines2.find((e) => e.type === 'charge')).toMatchObject({ amountMicros: 12_345, description: 'Snapshot export' });
    expect(lines2.find((e) => e.byok)).toMatchObject({ model: 'gpt-4o', inputTokens: 10, outputTokens: 5 });

    // Inside the window nothing is pruned, settled or not.
    expect(await stub.pruneEvents(ws.workspaceId, Date.now())).toMatchObject({ ok: true, value: { pruned: 0 } });
    expect(await storedEventsOf(ws.workspaceId)).toBe(23);
  });
});

describe('GET /internal/v1/workspaces/:ws/usage-events', () => {
  it('pages the raw events of one hour with a cursor', async () => {
    const ws = await createWorkspace('Listing');
    const hour = hourOf(Date.now()) - HOUR_MS;
    const prefix = unique('list');
    const events = Array.from({ length: 25 }, (_, i) => modelEvent(ws.workspaceId, `${prefix}-${String(i).padStart(2, '0')}`, hour + 1_000 * i));
    await postAll([...events, modelEvent(ws.workspaceId, `${prefix}-now`)]);
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `hour=${encodeURIComponent(new Date(hour).toISOString())}&limit=10${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/usage-events?${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      seen.push(...res.body.data);
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(seen[3]).toEqual({
      id: `${prefix}-03`,
      workspaceId: ws.workspaceId,
      occurredAt: new Date(hour + 3_000).toISOString(),
      billedHour: new Date(hour).toISOString(),
      type: 'model',
      model: 'gpt-4o-mini',
      inputTokens: 1000,
      outputTokens: 100,
    });
  });

  it('refuses an hour that is not whole, one before the window, and a foreign cursor; another workspace is 404', async () => {
    const ws = await createWorkspace('Listing errors');
    const path = `/internal/v1/workspaces/${ws.workspaceId}/usage-events`;
    const notWhole = await internal('GET', `${path}?hour=2026-11-21T10:30:00Z`);
    expect(notWhole.status).toBe(400);
    expect(notWhole.body.error.message).toContain('hour');
    const old = await internal('GET', `${path}?hour=${new Date(hourOf(Date.now() - 40 * DAY_MS)).toISOString()}`);
    expect(old.status).toBe(400);
    expect(old.body.error.message).toContain('retention window');
    const badCursor = await internal('GET', `${path}?hour=${new Date(hourOf(Date.now())).toISOString()}&cursor=bm9wZQ`);
    expect(badCursor.status).toBe(400);
    const missing = await internal('GET', `/internal/v1/workspaces/ws_doesnotexist/usage-events?hour=${new Date(hourOf(Date.now())).toISOString()}`);
    expect(missing.status).toBe(404);
  });
});
