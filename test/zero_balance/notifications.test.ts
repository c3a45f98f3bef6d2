// Platform notifications: the outbox consumer delivers each event to PLATFORM_WEBHOOK_URL, signed
// (X-Burnrate-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>), retried with backoff
// until a 2xx, with a stable id; redelivery of a delivered event posts nothing. Without a URL the
// event is marked not_configured. The hourly sweep re-enqueues what is still pending.
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env, NotificationMessage } from '../../workers/env';
import worker from '../../workers/index';
import { signatureHeader, verifySignature } from '../../workers/notifications/sign';
import { sweepOutbox } from '../../workers/notifications/sweep_outbox';
import { internal } from '../helpers/api';
import { createWorkspace, grant, unique } from '../helpers/fixtures';
import { CREDIT, eventsOf, eventually, iso, MINUTE_MS, startInstance } from './zero_balance_helpers';
import { firstInAnyShard, shardD1Of } from '../helpers/ledger_checks';

const PLATFORM_URL = 'https://platform.example.test/burnrate/events';
const SECRET = 'whsec_platform_test_secret';
const configured = (): Env => ({ ...env, PLATFORM_WEBHOOK_URL: PLATFORM_URL, PLATFORM_WEBHOOK_SECRET: SECRET });
const unconfigured = (): Env => ({ ...env, PLATFORM_WEBHOOK_URL: undefined, PLATFORM_WEBHOOK_SECRET: undefined });

// --- the outbox, written directly (no queue message is sent, so only these tests deliver them) ----

interface OutboxRow {
  id: string;
  workspace_id: string;
  type: string;
  data_json: string;
  created_at_ms: number;
  delivery_state: string;
  attempts: number;
  last_attempt_at_ms: number | null;
  last_error: string | null;
  delivered_at_ms: number | null;
}

async function putEvent(workspaceId: string, type: string, data: Record<string, unknown>, createdAtMs = Date.now(), state = 'pending') {
  const id = unique('evt_test');
  await shardD1Of(workspaceId).prepare('INSERT INTO platform_events (id, workspace_id, type, data_json, created_at_ms, delivery_state) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(id, workspaceId, type, JSON.stringify(data), createdAtMs, state)
    .run();
  return { id, workspaceId, type, data, createdAtMs };
}

const outboxRow = async (id: string) => (await firstInAnyShard<OutboxRow>('SELECT * FROM platform_events WHERE id = ?', id))!;

// --- the platform: globalThis.fetch stubbed for PLATFORM_URL --------------------------------------

type Step = number | 'network';
interface Received {
  eventIdHeader: string | null;
  signature: string | null;
  contentType: string | null;
  body: string;
  answered: Step;
}

/** The platform answers `script` in order (then its last step forever), or per event with `byEvent`. */
function stubPlatform(script: Step[], byEvent?: (eventId: string, nth: number) => Step) {
  const received: Received[] = [];
  const original = globalThis.fetch;
  const perEvent = new Map<string, number>();
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    if (!req.url.startsWith(PLATFORM_URL)) return original(input, init);
    const body = await req.text();
    const eventId = (JSON.parse(body) as { id: string }).id;
    const nth = perEvent.get(eventId) ?? 0;
    perEvent.set(eventId, nth + 1);
    const step = byEvent ? byEvent(eventId, nth) : script[Math.min(received.length, script.length - 1)]!;
    received.push({
      eventIdHeader: req.headers.get('x-burnrate-event-id'),
      signature: req.headers.get('x-burnrate-signature'),
      contentType: req.headers.get('content-type'),
      body,
      answered: step,
    });
    if (step === 'network') throw new TypeError('Network connection lost.');
    return new Response(step >= 200 && step < 300 ? '{"received":true}' : 'unavailable', { status: step });
  });
  const ok = (r: Received) => typeof r.answered === 'number' && r.answered >= 200 && r.answered < 300;
  return {
    received,
    /** How many times each event id was acknowledged with a 2xx. */
    acknowledged: () => {
      const counts: Record<string, number> = {};
      for (const r of received.filter(ok)) {
        const id = (JSON.parse(r.body) as { id: string }).id;
        counts[id] = (counts[id] ?? 0) + 1;
      }
      return counts;
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

// --- the queue consumer, driven directly ----------------------------------------------------------

let messageCounter = 0;
async function deliver(workerEnv: Env, messages: Array<{ eventId: string; attempts?: number }>) {
  const ids = messages.map(() => `msg-${messageCounter++}`);
  const batch = createMessageBatch<NotificationMessage>(
    'burnrate-notifications',
    messages.map((m, i) => ({ id: ids[i]!, timestamp: new Date(), attempts: m.attempts ?? 1, body: { eventId: m.eventId } })),
  );
  // getQueueResult does not report retry options: record them from the messages themselves.
  const retryDelays = new Map<string, number | undefined>();
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    vi.spyOn(m, 'retry').mockImplementation((options?: QueueRetryOptions) => {
      retryDelays.set(m.id, options?.delaySeconds);
      retry(options);
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, workerEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  return { ids, result, retryDelays };
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The contract's signature, computed here independently of workers/notifications/sign.ts. */
async function expectedV1(secret: string, t: string, body: string) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${t}.${body}`)));
}

describe('delivery to the platform', () => {
  it('failing 3 times (500, network error, 503) then 2xx: retried each time with backoff, then acked; delivered once per id', async () => {
    const ws = await createWorkspace('Notify retries');
    const evt = await putEvent(ws.workspaceId, 'instance.terminated', { instanceId: 'res_x', reason: 'zero_balance' });
    const platform = stubPlatform([500, 'network', 503, 200]);

    const expectedErrors = [/500/, /delivery failed/, /503/];
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { ids, result, retryDelays } = await deliver(configured(), [{ eventId: evt.id, attempts: attempt }]);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      expect(result.retryMessages[0]!.msgId).toBe(ids[0]);
      delays.push(retryDelays.get(ids[0]!) ?? 0);
      expect(platform.received).toHaveLength(attempt);

      // The delivery row records each attempt and why it failed; still pending.
      const row = await outboxRow(evt.id);
      expect(row).toMatchObject({ delivery_state: 'pending', attempts: attempt, delivered_at_ms: null });
      expect(row.last_error).toMatch(expectedErrors[attempt - 1]!);
      const [view] = await eventsOf(ws.workspaceId);
      expect(view!.delivery).toMatchObject({ state: 'pending', attempts: attempt, deliveredAt: null });
      expect(view!.delivery.lastError).toMatch(expectedErrors[attempt - 1]!);
      expect(view!.delivery.lastAttemptAt).not.toBeNull();
    }
    // Backoff: each retry waits longer than the one before.
    expect(delays[0]).toBeGreaterThan(0);
    expect(delays[1]).toBeGreaterThan(delays[0]!);
    expect(delays[2]).toBeGreaterThan(delays[1]!);

    const fourth = await deliver(configured(), [{ eventId: evt.id, attempts: 4 }]);
    expect(fourth.result.explicitAcks).toEqual(fourth.ids);
    expect(fourth.result.retryMessages).toEqual([]);
    const row = await outboxRow(evt.id);
    expect(row).toMatchObject({ delivery_state: 'delivered', attempts: 4, last_error: null });
    expect(row.delivered_at_ms).not.toBeNull();
    const [view] = await eventsOf(ws.workspaceId);
    expect(view!.delivery).toMatchObject({ state: 'delivered', attempts: 4, lastError: null });
    expect(view!.delivery.deliveredAt).not.toBeNull();

    // Every attempt carried the same id and the same payload; exactly one was acknowledged.
    expect(platform.received).toHaveLength(4);
    expect(platform.received.map((r) => r.eventIdHeader)).toEqual([evt.id, evt.id, evt.id, evt.id]);
    expect(new Set(platform.received.map((r) => (JSON.parse(r.body) as { id: string }).id))).toEqual(new Set([evt.id]));
    expect(platform.acknowledged()).toEqual({ [evt.id]: 1 });

    // Redelivered (a late retry, a duplicate message, the sweep): acked without posting again.
    const again = await deliver(configured(), [
      { eventId: evt.id, attempts: 5 },
      { eventId: evt.id, attempts: 1 },
    ]);
    expect(again.result.explicitAcks.sort()).toEqual([...again.ids].sort());
    expect(again.result.retryMessages).toEqual([]);
    expect(platform.received).toHaveLength(4);
    expect(await outboxRow(evt.id)).toMatchObject({ delivery_state: 'delivered', attempts: 4 });
  });

  it('a batch with one failing event: only that message is retried; each event id is acknowledged once in the end', async () => {
    const ws = await createWorkspace('Notify batch');
    const a = await putEvent(ws.workspaceId, 'storage.suspended', { volumeIds: ['res_v'], reason: 'zero_balance' });
    const b = await putEvent(ws.workspaceId, 'instance.terminated', { instanceId: 'res_b', reason: 'zero_balance' });
    const c = await putEvent(ws.workspaceId, 'balance.low', { balanceMicros: 1 });
    // The platform rejects b twice, accepts everything else.
    const platform = stubPlatform([], (id, nth) => (id === b.id && nth < 2 ? 502 : 200));

    const first = await deliver(configured(), [{ eventId: a.id }, { eventId: b.id }, { eventId: c.id }]);
    expect(first.result.explicitAcks.sort()).toEqual([first.ids[0], first.ids[2]].sort());
    expect(first.result.retryMessages.map((m) => m.msgId)).toEqual([first.ids[1]]);
    expect((await outboxRow(a.id)).delivery_state).toBe('delivered');
    expect((await outboxRow(b.id)).delivery_state).toBe('pending');
    expect((await outboxRow(c.id)).delivery_state).toBe('delivered');

    // The queue redelivers b (and, say, a duplicate of a): b fails once more, then goes through.
    const second = await deliver(configured(), [{ eventId: b.id, attempts: 2 }, { eventId: a.id, attempts: 2 }]);
    expect(second.result.retryMessages.map((m) => m.msgId)).toEqual([second.ids[0]]);
    expect(second.result.explicitAcks).toEqual([second.ids[1]]);
    const third = await deliver(configured(), [{ eventId: b.id, attempts: 3 }]);
    expect(third.result.explicitAcks).toEqual(third.ids);

    expect(platform.acknowledged()).toEqual({ [a.id]: 1, [b.id]: 1, [c.id]: 1 });
    expect(platform.received).toHaveLength(5); // a, b (502), c, b (502), b (200)
    expect(await outboxRow(b.id)).toMatchObject({ delivery_state: 'delivered', attempts: 3, last_error: null });

    // A message for an event that does not exist (never written, or written by a rolled-back batch)
    // is dropped: acked, nothing posted.
    const ghost = await deliver(configured(), [{ eventId: 'evt_does_not_exist' }]);
    expect(ghost.result.explicitAcks).toEqual(ghost.ids);
    expect(platform.received).toHaveLength(5);
  });

  it('two deliveries of the same event racing: any duplicate POST carries the same id and payload', async () => {
    const ws = await createWorkspace('Notify duplicate');
    const evt = await putEvent(ws.workspaceId, 'storage.restored', { restoredAt: iso(Date.now()) });
    const platform = stubPlatform([200]);
    const [x, y] = await Promise.all([deliver(configured(), [{ eventId: evt.id }]), deliver(configured(), [{ eventId: evt.id }])]);
    expect([...x.result.explicitAcks, ...y.result.explicitAcks]).toHaveLength(2);
    expect(platform.received.length).toBeGreaterThanOrEqual(1);
    expect(platform.received.length).toBeLessThanOrEqual(2);
    for (const r of platform.received) {
      expect(r.eventIdHeader).toBe(evt.id);
      expect(r.body).toBe(platform.received[0]!.body);
    }
    expect((await outboxRow(evt.id)).delivery_state).toBe('delivered');
  });
});

describe('the signed payload', () => {
  it('has { id, type, createdAt, workspaceId, data }; the signature verifies with the secret, forgeries fail', async () => {
    const ws = await createWorkspace('Notify signature');
    const data = { instanceId: 'res_sig', instanceType: 'gpu-a100', reason: 'zero_balance', terminatedAt: iso(Date.now()) };
    const evt = await putEvent(ws.workspaceId, 'instance.terminated', data);
    const platform = stubPlatform([200]);
    const before = Math.floor(Date.now() / 1000);
    await deliver(configured(), [{ eventId: evt.id }]);
    const after = Math.ceil(Date.now() / 1000);
    expect(platform.received).toHaveLength(1);
    const { body, signature, contentType } = platform.received[0]!;

    expect(contentType).toContain('application/json');
    const payload = JSON.parse(body);
    expect(Object.keys(payload).sort()).toEqual(['createdAt', 'data', 'id', 'type', 'workspaceId']);
    expect(payload).toEqual({ id: evt.id, type: 'instance.terminated', createdAt: iso(evt.createdAtMs), workspaceId: ws.workspaceId, data });

    // t=<unix seconds>,v1=<64 hex>, HMAC-SHA256 over "<t>.<body>" as the contract fixes it.
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature!)!;
    expect(Number(t)).toBeGreaterThanOrEqual(before);
    expect(Number(t)).toBeLessThanOrEqual(after);
    expect(v1).toBe(await expectedV1(SECRET, t!, body));

    const now = Number(t);
    expect(await verifySignature(SECRET, body, signature!, now)).toBe(true);
    expect(await verifySignature(SECRET, body, signature!, now + 299)).toBe(true);
    // Forgeries and replays.
    expect(await verifySignature('whsec_someone_else', body, signature!, now)).toBe(false);
    expect(await verifySignature(SECRET, body.replace(ws.workspaceId, 'ws_00attackerattackerattacker'), signature!, now)).toBe(false);
    expect(await verifySignature(SECRET, `${body} `, signature!, now)).toBe(false);
    expect(await verifySignature(SECRET, body, signature!, now + 301)).toBe(false); // stale
    expect(await verifySignature(SECRET, body, await signatureHeader('whsec_someone_else', body, now), now)).toBe(false);
    expect(await verifySignature(SECRET, body, `t=${now + 1},v1=${v1}`, now)).toBe(false); // timestamp swapped
    expect(await verifySignature(SECRET, body, `t=${now}`, now)).toBe(false);
    expect(await verifySignature(SECRET, body, `t=${now},v1=${'0'.repeat(64)}`, now)).toBe(false);
    expect(await verifySignature(SECRET, body, 'garbage', now)).toBe(false);
  });
});

describe('without a platform configured', () => {
  it('marks the event not_configured and acks it, posting nothing', async () => {
    const ws = await createWorkspace('Notify unconfigured');
    const evt = await putEvent(ws.workspaceId, 'balance.low', { balanceMicros: 5 });
    const platform = stubPlatform([200]);
    const { ids, result } = await deliver(unconfigured(), [{ eventId: evt.id }]);
    expect(result.explicitAcks).toEqual(ids);
    expect(result.retryMessages).toEqual([]);
    expect(platform.received).toHaveLength(0);
    const row = await outboxRow(evt.id);
    expect(row).toMatchObject({ delivery_state: 'not_configured', delivered_at_ms: null });
    expect(row.last_attempt_at_ms).not.toBeNull();
    expect((await eventsOf(ws.workspaceId))[0]!.delivery.state).toBe('not_configured');
  });

  it('end to end: a termination writes its events and enqueues them; the real queue marks them not_configured', async () => {
    const ws = await createWorkspace('Notify end to end');
    await grant(ws.workspaceId, CREDIT);
    const instanceId = unique('res_e2e');
    expect((await startInstance(ws.workspaceId, instanceId, 'cpu-small')).status).toBe(201);
    // A negative adjustment takes the spendable balance to exactly 0 (the rest is forgiven).
    const correction = await internal('POST', '/internal/v1/adjustments', { id: unique('zero'), workspaceId: ws.workspaceId, amountMicros: -2 * CREDIT, description: 'Correction' });
    expect(correction.status).toBe(201);

    const terminated = await eventually(
      () => eventsOf(ws.workspaceId, 'instance.terminated'),
      (list) => list.length === 1 && list[0]!.delivery.state === 'not_configured',
      'the termination event delivered by the local queue',
    );
    expect(terminated[0]!.data).toMatchObject({ instanceId, reason: 'zero_balance' });
  });
});

describe('the outbox sweep', () => {
  it('re-enqueues events still pending a minute after they were written, and only those', async () => {
    const ws = await createWorkspace('Notify sweep');
    const now = Date.now();
    const stale = await putEvent(ws.workspaceId, 'instance.terminated', { instanceId: 'res_stale' }, now - 2 * MINUTE_MS);
    const fresh = await putEvent(ws.workspaceId, 'instance.terminated', { instanceId: 'res_fresh' }, now - 10_000);
    const delivered = await putEvent(ws.workspaceId, 'storage.suspended', { volumeIds: [] }, now - 5 * MINUTE_MS, 'delivered');
    const unconfiguredOld = await putEvent(ws.workspaceId, 'balance.low', {}, now - 5 * MINUTE_MS, 'not_configured');

    // The hourly cron runs the sweep: capture what it hands to the notification queue.
    const sent: string[] = [];
    const capture = {
      send: async (body: NotificationMessage) => void sent.push(body.eventId),
      sendBatch: async (messages: Iterable<MessageSendRequest<NotificationMessage>>) => {
        for (const m of messages) sent.push(m.body.eventId);
      },
    } as unknown as Queue<NotificationMessage>;
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: now, cron: '0 * * * *' }), { ...env, NOTIFICATION_QUEUE: capture }, ctx);
    await waitOnExecutionContext(ctx);
    expect(sent).toContain(stale.id);
    for (const skipped of [fresh, delivered, unconfiguredOld]) expect(sent).not.toContain(skipped.id);

    // And through the real queue: the stale event arrives at the consumer (here: not configured).
    const count = await sweepOutbox(env, Date.now());
    expect(count).toBeGreaterThanOrEqual(1);
    await eventually(() => outboxRow(stale.id), (r) => r.delivery_state === 'not_configured', 'the swept event reaching the consumer');
    expect((await outboxRow(fresh.id)).delivery_state).toBe('pending');
  });
});
