// Deployment settings that must fail closed: Checkout return URLs come from PUBLIC_BASE_URL (never
// the request's Host), a real STRIPE_SECRET_KEY next to a published secret refuses internal calls,
// Stripe webhooks and dashboard sign-ins, and Stripe signatures dated in the future are refused.
//
// Contract: /work/shared/CONTRACT.md, "Running locally" (PUBLIC_BASE_URL; default secrets refused
// with a real STRIPE_SECRET_KEY) and "Authentication and roles" (webhook tolerance).
import { createMessageBatch } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import Stripe from 'stripe';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../workers/app';
import type { Env, NotificationMessage } from '../../workers/env';
import { deliverEvents } from '../../workers/notifications/deliver_events';
import { stripeFor } from '../../workers/stripe/stripe_client';
import { publicApi } from '../helpers/api';
import { createWorkspace, unique, type TestWorkspace } from '../helpers/fixtures';
import { deliver } from '../stripe/stripe_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Deployment config');
});

/** The app with some settings changed, as a deployment with those secrets would run it. */
const withEnv = (overrides: Partial<Env>) => (path: string, init: RequestInit = {}) =>
  buildApp().request(`http://burnrate.test${path}`, init, { ...(env as unknown as Env), ...overrides });

const signer = new Stripe('sk_test_signer', { httpClient: Stripe.createFetchHttpClient() });
async function signedEvent(secret: string, event: object, timestamp = Math.floor(Date.now() / 1000)) {
  const payload = JSON.stringify(event);
  const header = await signer.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp, cryptoProvider: Stripe.createSubtleCryptoProvider() });
  return { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload };
}

describe('PUBLIC_BASE_URL', () => {
  it('Checkout return URLs are built on it even when the request says Host: evil.example', async () => {
    const res = await exports.default.fetch(
      new Request('http://evil.example/v1/billing/topup', {
        method: 'POST',
        headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-api-key': ws.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify({ amountCents: 700 }),
      }),
    );
    expect(res.status).toBe(201);
    const created = (await res.json()) as any;
    const session = await stripeFor(env as unknown as Env).checkout.sessions.retrieve(created.sessionId);
    expect(session.success_url).toBe('http://burnrate.test/dashboard?checkout=success&session_id={CHECKOUT_SESSION_ID}');
    expect(session.cancel_url).toBe(`http://burnrate.test/dashboard?checkout=cancelled&txn=${created.transactionId}`);
  });

  it('unset: a Checkout top-up is 503 stripe_unavailable naming PUBLIC_BASE_URL, and no deposit is recorded', async () => {
    const before = (await publicApi('GET', '/v1/billing/credits/history?type=deposit', ws.adminKey)).body.data.length;
    for (const value of [undefined, '', 'not a url', 'javascript:alert(1)']) {
      const res = await withEnv({ PUBLIC_BASE_URL: value })('/v1/billing/topup', {
        method: 'POST',
        headers: { 'x-api-key': ws.adminKey, 'content-type': 'application/json' },
        body: JSON.stringify({ amountCents: 800 }),
      });
      expect(res.status, String(value)).toBe(503);
      const body = (await res.json()) as any;
      expect(body.error).toMatchObject({ code: 'stripe_unavailable', message: expect.stringContaining('PUBLIC_BASE_URL') });
    }
    expect((await publicApi('GET', '/v1/billing/credits/history?type=deposit', ws.adminKey)).body.data.length).toBe(before);
  });
});

describe('published secrets next to a real STRIPE_SECRET_KEY', () => {
  const REAL = { STRIPE_SECRET_KEY: 'sk_test_never_called' };
  const creditCheck = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const path = () => `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=0`;

  it('internal calls are 401 while INTERNAL_API_TOKEN is a published value, even when presented exactly', async () => {
    for (const token of ['dev-internal-token', 'test-internal-token']) {
      const res = await withEnv({ ...REAL, INTERNAL_API_TOKEN: token })(path(), creditCheck(token));
      expect(res.status, token).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('unauthenticated');
    }
  });

  it('a token of its own works with the real key; the published one works without it (local emulator)', async () => {
    const own = await withEnv({ ...REAL, INTERNAL_API_TOKEN: 'own-9fQ2xL7-token' })(path(), creditCheck('own-9fQ2xL7-token'));
    expect(own.status).toBe(200);
    expect(((await own.json()) as any).balanceMicros).toBe(0);
    const local = await withEnv({ INTERNAL_API_TOKEN: 'dev-internal-token' })(path(), creditCheck('dev-internal-token'));
    expect(local.status).toBe(200);
  });

  it('Stripe webhooks are 503 while STRIPE_WEBHOOK_SECRET is a published value, even correctly signed', async () => {
    const event = { id: `evt_${unique('cfg')}`, type: 'customer.created', data: { object: { id: 'cus_1' } } };
    for (const secret of ['whsec_dev_burnrate_local', 'whsec_test_burnrate']) {
      const res = await withEnv({ ...REAL, STRIPE_WEBHOOK_SECRET: secret })('/v1/stripe/webhook', await signedEvent(secret, event));
      expect(res.status, secret).toBe(503);
      expect(((await res.json()) as any).error).toMatchObject({ code: 'stripe_unavailable', message: expect.stringContaining('STRIPE_WEBHOOK_SECRET') });
    }
    const own = await withEnv({ ...REAL, STRIPE_WEBHOOK_SECRET: 'whsec_own_7c1d' })('/v1/stripe/webhook', await signedEvent('whsec_own_7c1d', event));
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ received: true, ignored: true });
  });

  it('dashboard sign-in sets no session while the session key would derive from a published token', async () => {
    const res = await withEnv({ ...REAL, INTERNAL_API_TOKEN: 'dev-internal-token' })('/dashboard/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://burnrate.test' },
      body: new URLSearchParams({ apiKey: ws.adminKey }).toString(),
    });
    expect(res.status).not.toBe(303);
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/burnrate_session=[^;]/);
  });
});

describe('platform notifications next to a real STRIPE_SECRET_KEY', () => {
  afterEach(() => vi.restoreAllMocks());

  async function pendingEvent() {
    const id = `evt_${unique('cfg')}`;
    await shardD1Of(ws.workspaceId).prepare(`INSERT INTO platform_events (id, workspace_id, type, data_json, created_at_ms) VALUES (?, ?, 'balance.low', '{}', ?)`)
      .bind(id, ws.workspaceId, Date.now())
      .run();
    return id;
  }
  const stateOf = async (id: string) => (await shardD1Of(ws.workspaceId).prepare('SELECT delivery_state AS s FROM platform_events WHERE id = ?').bind(id).first<{ s: string }>())?.s;
  const run = (id: string, overrides: Partial<Env>) =>
    deliverEvents(createMessageBatch<NotificationMessage>('burnrate-notifications', [{ id: `m-${id}`, timestamp: new Date(), attempts: 1, body: { eventId: id } }]), {
      ...(env as unknown as Env),
      PLATFORM_WEBHOOK_URL: 'https://platform.example/hooks',
      ...overrides,
    });

  it('are never signed with a published secret: not sent, marked not_configured', async () => {
    const posted = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('ok'));
    const id = await pendingEvent();
    await run(id, { STRIPE_SECRET_KEY: 'sk_test_never_called', PLATFORM_WEBHOOK_SECRET: 'dev-platform-webhook-secret' });
    expect(posted).not.toHaveBeenCalled();
    expect(await stateOf(id)).toBe('not_configured');

    // Control: a secret of its own is used.
    const other = await pendingEvent();
    await run(other, { STRIPE_SECRET_KEY: 'sk_test_never_called', PLATFORM_WEBHOOK_SECRET: 'own-platform-secret-4f1' });
    expect(posted).toHaveBeenCalledTimes(1);
    expect(await stateOf(other)).toBe('delivered');
  });
});

describe('Stripe signatures dated in the future', () => {
  const event = () => ({ id: `evt_${unique('future')}`, type: 'customer.created', data: { object: { id: 'cus_1' } } });
  const now = () => Math.floor(Date.now() / 1000);

  it('more than 300 s ahead: 400 invalid_request, though the signature is otherwise valid', async () => {
    for (const ahead of [301, 3600, 86_400 * 365]) {
      const res = await deliver(event(), { timestamp: now() + ahead });
      expect(res.status, `+${ahead} s`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^Stripe-Signature: .*future/) });
    }
  });

  it('within 300 s either way: accepted; older than 300 s: refused', async () => {
    expect((await deliver(event(), { timestamp: now() + 200 })).body).toEqual({ received: true, ignored: true });
    expect((await deliver(event(), { timestamp: now() - 200 })).body).toEqual({ received: true, ignored: true });
    expect((await deliver(event(), { timestamp: now() - 400 })).status).toBe(400);
  });
});
