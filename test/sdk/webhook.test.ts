// verifyWebhookSignature against notifications the Worker itself signed: a real zero-balance
// termination, delivered by the Worker's own queue consumer to a (captured) platform URL.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BurnrateWebhookError, verifyWebhookSignature, type PlatformEvent, type WebhookFailureReason } from '../../sdk/src/index';
import type { NotificationMessage } from '../../workers/env';
import worker from '../../workers/index';
import { signatureHeader } from '../../workers/notifications/sign';
import { eventually } from '../zero_balance/zero_balance_helpers';
import { CREDIT_MICROS, internalClient, newWorkspace } from './sdk_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const PLATFORM_URL = 'https://platform.example.test/sdk/burnrate-events';
const SECRET = 'whsec_sdk_platform_secret';
const internal = internalClient();

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs the Worker's notification consumer with a platform configured and returns what it POSTed. */
async function deliverToPlatform(eventId: string): Promise<{ body: string; signature: string }> {
  const posted: Array<{ body: string; signature: string | null }> = [];
  const original = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    if (!req.url.startsWith(PLATFORM_URL)) return original(input, init);
    posted.push({ body: await req.text(), signature: req.headers.get('x-burnrate-signature') });
    return new Response('{"received":true}', { status: 200 });
  });
  const batch = createMessageBatch<NotificationMessage>('burnrate-notifications', [{ id: 'msg-sdk-webhook', timestamp: new Date(), attempts: 1, body: { eventId } }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, PLATFORM_WEBHOOK_URL: PLATFORM_URL, PLATFORM_WEBHOOK_SECRET: SECRET }, ctx);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['msg-sdk-webhook']);
  expect(posted).toHaveLength(1);
  return { body: posted[0]!.body, signature: posted[0]!.signature! };
}

async function rejection(options: Parameters<typeof verifyWebhookSignature>[0]): Promise<WebhookFailureReason> {
  const error = await verifyWebhookSignature(options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BurnrateWebhookError);
  return (error as BurnrateWebhookError).reason;
}

describe('verifyWebhookSignature on a notification the Worker sent', () => {
  let delivered: { body: string; signature: string };
  let listed: PlatformEvent;
  let instanceId: string;
  let t: number;

  beforeAll(async () => {
    // A real termination: an instance runs, a correction takes the balance to 0.
    const ws = await newWorkspace('SDK webhook');
    await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: CREDIT_MICROS, description: 'Grant' });
    instanceId = (await internal.resources.start({ workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'cpu-small' })).id;
    await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: -2 * CREDIT_MICROS, description: 'Correction' });
    // The local queue handles it first (no platform configured in tests: not_configured) ...
    const [event] = (
      await eventually(
        () => internal.events.list(ws.workspaceId, { type: 'instance.terminated' }),
        (list) => list.data.length === 1 && list.data[0]!.delivery.state !== 'pending',
        'the termination event',
      )
    ).data;
    const { delivery: _delivery, ...rest } = event!;
    listed = rest as PlatformEvent;
    // ... so it is made pending again and delivered by the consumer to a configured platform.
    await shardD1Of(ws.workspaceId).prepare("UPDATE platform_events SET delivery_state = 'pending' WHERE id = ?").bind(listed.id).run();
    delivered = await deliverToPlatform(listed.id);
    t = Number(/^t=(\d+),/.exec(delivered.signature)![1]);
  });

  it('returns the event, typed, equal to what the events route lists', async () => {
    const event = await verifyWebhookSignature({ payload: delivered.body, header: delivered.signature, secret: SECRET });
    expect(event).toEqual(listed);
    expect(event).toEqual(JSON.parse(delivered.body));
    expect(event.type).toBe('instance.terminated');
    expect(event.data).toMatchObject({ instanceId, reason: 'zero_balance' });
    // The raw bytes verify the same.
    const bytes = new TextEncoder().encode(delivered.body);
    expect(await verifyWebhookSignature({ payload: bytes, header: delivered.signature, secret: SECRET })).toEqual(event);
    expect(await verifyWebhookSignature({ payload: bytes.buffer as ArrayBuffer, header: delivered.signature, secret: SECRET })).toEqual(event);
  });

  it('rejects a tampered body and a wrong secret', async () => {
    const tampered = delivered.body.replace(instanceId, 'res_someone_elses');
    expect(tampered).not.toBe(delivered.body);
    expect(await rejection({ payload: tampered, header: delivered.signature, secret: SECRET })).toBe('signature_mismatch');
    expect(await rejection({ payload: `${delivered.body} `, header: delivered.signature, secret: SECRET })).toBe('signature_mismatch');
    expect(await rejection({ payload: delivered.body, header: delivered.signature, secret: 'whsec_wrong' })).toBe('signature_mismatch');
    // The timestamp is signed too: moving it breaks the signature.
    expect(await rejection({ payload: delivered.body, header: delivered.signature.replace(`t=${t}`, `t=${t + 1}`), secret: SECRET, nowMs: t * 1000 })).toBe('signature_mismatch');
  });

  it('rejects a timestamp outside the tolerance (300 s by default), either way', async () => {
    const verify = (nowSeconds: number, toleranceSeconds?: number) =>
      verifyWebhookSignature({ payload: delivered.body, header: delivered.signature, secret: SECRET, nowMs: nowSeconds * 1000, toleranceSeconds });
    expect((await verify(t + 300)).id).toBe(listed.id);
    expect((await verify(t - 300)).id).toBe(listed.id);
    expect(await rejection({ payload: delivered.body, header: delivered.signature, secret: SECRET, nowMs: (t + 301) * 1000 })).toBe('timestamp_outside_tolerance');
    expect(await rejection({ payload: delivered.body, header: delivered.signature, secret: SECRET, nowMs: (t - 301) * 1000 })).toBe('timestamp_outside_tolerance');
    expect(await rejection({ payload: delivered.body, header: delivered.signature, secret: SECRET, nowMs: (t + 11) * 1000, toleranceSeconds: 10 })).toBe('timestamp_outside_tolerance');
    // A replay signed long ago with the right secret: stale at the real now.
    const stale = await signatureHeader(SECRET, delivered.body, Math.floor(Date.now() / 1000) - 400);
    expect(await rejection({ payload: delivered.body, header: stale, secret: SECRET })).toBe('timestamp_outside_tolerance');
  });

  it('rejects a signature dated in the future (more than 300 s ahead of the real now), correctly signed', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const ahead = await signatureHeader(SECRET, delivered.body, nowSeconds + 400);
    expect(await rejection({ payload: delivered.body, header: ahead, secret: SECRET })).toBe('timestamp_outside_tolerance');
    const slightlyAhead = await signatureHeader(SECRET, delivered.body, nowSeconds + 60);
    expect((await verifyWebhookSignature({ payload: delivered.body, header: slightlyAhead, secret: SECRET })).id).toBe(listed.id);
  });

  it('rejects a missing or malformed header; accepts a rotation header with two v1 values', async () => {
    expect(await rejection({ payload: delivered.body, header: null, secret: SECRET })).toBe('missing_header');
    expect(await rejection({ payload: delivered.body, header: 'garbage', secret: SECRET })).toBe('malformed_header');
    expect(await rejection({ payload: delivered.body, header: `t=${t}`, secret: SECRET })).toBe('malformed_header');
    expect(await rejection({ payload: delivered.body, header: delivered.signature.replace(/v1=.*/, 'v1=abc'), secret: SECRET })).toBe('malformed_header');
    const v1 = delivered.signature.split('v1=')[1]!;
    const rotated = `t=${t},v1=${'0'.repeat(64)},v1=${v1}`;
    expect((await verifyWebhookSignature({ payload: delivered.body, header: rotated, secret: SECRET, nowMs: t * 1000 })).id).toBe(listed.id);
  });

  it('rejects a correctly signed body that is not an event', async () => {
    const body = JSON.stringify({ hello: 'world' });
    const header = await signatureHeader(SECRET, body, Math.floor(Date.now() / 1000));
    expect(await rejection({ payload: body, header, secret: SECRET })).toBe('invalid_payload');
  });
});
