// Webhook delivery: Stripe's signature and event shape, retries with backoff, resend, the log.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { startEmulator } from '../server.mjs';
import { startHarness, startReceiver, stripeClient, topUpParams, waitUntil, WEBHOOK_SECRET } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
/** Event ids the receiver must refuse `n` times before it accepts them. */
const refuse = new Map();
before(async () => {
  h = await startHarness({
    webhookMaxAttempts: 4,
    webhookRetryDelayMs: 20,
    respond: (event, arrival) => (arrival <= (refuse.get(event.data.object.id) ?? 0) ? 500 : 200),
  });
});
after(() => h.close());

/** An expired session: exactly one event (checkout.session.expired) about one object. */
async function oneEvent() {
  const customer = await h.stripe.customers.create({ email: 'hook@example.com' });
  const session = await h.stripe.checkout.sessions.create(topUpParams(customer.id, 2500));
  return { session, expire: () => h.stripe.checkout.sessions.expire(session.id) };
}

test('events are Stripe-shaped and signed t=<unix>,v1=<HMAC-SHA256(secret, "t.body")>', async () => {
  const { session, expire } = await oneEvent();
  await expire();
  const [delivery] = await h.receiver.waitFor((e) => e.data.object.id === session.id);
  const event = delivery.event;
  assert.match(event.id, /^evt_/);
  assert.equal(event.object, 'event');
  assert.equal(event.type, 'checkout.session.expired');
  assert.equal(event.livemode, false);
  assert.equal(typeof event.api_version, 'string');
  assert.ok(Number.isInteger(event.created));
  assert.equal(event.data.object.id, session.id);
  assert.match(String(delivery.headers['content-type']), /application\/json/);

  const header = String(delivery.headers['stripe-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  assert.ok(match, header);
  const [, t, v1] = match;
  assert.ok(Math.abs(Number(t) - Date.now() / 1000) < 60);
  assert.equal(v1, createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${delivery.body}`).digest('hex'));

  const verified = h.stripe.webhooks.constructEvent(delivery.body, header, WEBHOOK_SECRET);
  assert.equal(verified.id, event.id);
  assert.throws(() => h.stripe.webhooks.constructEvent(delivery.body, header, 'whsec_wrong'), Stripe.errors.StripeSignatureVerificationError);
  assert.throws(() => h.stripe.webhooks.constructEvent(`${delivery.body} `, header, WEBHOOK_SECRET), Stripe.errors.StripeSignatureVerificationError);

  const viaApi = await h.stripe.events.retrieve(event.id);
  assert.deepEqual(viaApi, event);
});

test('a non-2xx answer is retried with backoff until the receiver answers 2xx', async () => {
  const { session, expire } = await oneEvent();
  refuse.set(session.id, 2);
  await expire();
  const deliveries = await h.receiver.waitFor((e) => e.data.object.id === session.id, 3);
  assert.deepEqual(deliveries.map((d) => d.answered), [500, 500, 200]);
  assert.equal(new Set(deliveries.map((d) => d.event.id)).size, 1, 'the same event each time');
  for (const d of deliveries) h.stripe.webhooks.constructEvent(d.body, String(d.headers['stripe-signature']), WEBHOOK_SECRET);

  const eventId = deliveries[0]?.event.id;
  const logged = await waitUntil(async () => {
    const res = await h.call(`/__emulator/events/${eventId}`);
    return res.json.delivery.status === 'delivered' ? res.json : undefined;
  });
  assert.deepEqual(logged.delivery.attempts.map((/** @type {any} */ a) => a.status), [500, 500, 200]);
  const [first, second, third] = logged.delivery.attempts.map((/** @type {any} */ a) => Date.parse(a.at));
  assert.ok(second - first >= 15 && third - second >= 35, `delays double: ${second - first}ms then ${third - second}ms`);
});

test('delivery gives up after the configured number of attempts', async () => {
  const { session, expire } = await oneEvent();
  refuse.set(session.id, 99);
  await expire();
  await h.receiver.waitFor((e) => e.data.object.id === session.id, 4);
  const list = await waitUntil(async () => {
    const res = await h.call('/__emulator/events?type=checkout.session.expired');
    const mine = res.json.data.find((/** @type {any} */ e) => e.data.object.id === session.id);
    return mine?.delivery.status === 'failed' ? mine : undefined;
  });
  assert.equal(list.delivery.attempts.length, 4);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(h.receiver.received.filter((d) => d.event.data.object.id === session.id).length, 4, 'no fifth attempt');
});

test('resend delivers the same event again, freshly signed (duplicate delivery)', async () => {
  const { session, expire } = await oneEvent();
  await expire();
  const [original] = await h.receiver.waitFor((e) => e.data.object.id === session.id);
  const resent = await h.call(`/__emulator/events/${original.event.id}/resend`, { method: 'POST' });
  assert.equal(resent.status, 200);
  assert.equal(resent.json.delivery.status, 'delivered');
  assert.deepEqual(resent.json.delivery.attempts.map((/** @type {any} */ a) => a.trigger), ['automatic', 'resend']);
  const both = await h.receiver.waitFor((e) => e.data.object.id === session.id, 2);
  assert.equal(both[1]?.event.id, original.event.id);
  assert.equal(both[1]?.body, original.body, 'the same payload');
  h.stripe.webhooks.constructEvent(both[1]?.body ?? '', String(both[1]?.headers['stripe-signature']), WEBHOOK_SECRET);
  const missing = await h.call('/__emulator/events/evt_nope/resend', { method: 'POST' });
  assert.equal(missing.status, 404);
});

test('a receiver that is down is recorded as a network error and retried', async () => {
  const receiver = await startReceiver();
  const downUrl = receiver.url;
  await receiver.close();
  const emulator = await startEmulator({ port: 0, webhookUrl: downUrl, webhookSecret: WEBHOOK_SECRET, webhookMaxAttempts: 2, webhookRetryDelayMs: 10 });
  try {
    const stripe = stripeClient(emulator.port);
    const customer = await stripe.customers.create({ email: 'down@example.com' });
    const session = await stripe.checkout.sessions.create(topUpParams(customer.id, 2500));
    await stripe.checkout.sessions.expire(session.id);
    const event = await waitUntil(async () => {
      const res = await (await fetch(`${emulator.url}/__emulator/events`)).json();
      return res.data[0]?.delivery.status === 'failed' ? res.data[0] : undefined;
    });
    assert.equal(event.delivery.attempts.length, 2);
    assert.equal(event.delivery.attempts[0].status, null);
    assert.ok(event.delivery.attempts[0].error);
  } finally {
    await emulator.close();
  }
});

test('with no webhook URL events are still recorded, marked disabled', async () => {
  const emulator = await startEmulator({ port: 0, webhookUrl: null, webhookSecret: WEBHOOK_SECRET });
  try {
    const stripe = stripeClient(emulator.port);
    const customer = await stripe.customers.create({ email: 'off@example.com' });
    const session = await stripe.checkout.sessions.create(topUpParams(customer.id, 2500));
    await stripe.checkout.sessions.expire(session.id);
    const res = await (await fetch(`${emulator.url}/__emulator/events`)).json();
    assert.equal(res.data.length, 1);
    assert.equal(res.data[0].type, 'checkout.session.expired');
    assert.equal(res.data[0].delivery.status, 'disabled');
    assert.equal(res.data[0].pending_webhooks, 0);
  } finally {
    await emulator.close();
  }
});

test('events list through the API, filtered by type, newest first', async () => {
  const { session, expire } = await oneEvent();
  await expire();
  const events = await h.stripe.events.list({ type: 'checkout.session.expired', limit: 1 });
  assert.equal(events.object, 'list');
  assert.equal(events.data[0]?.type, 'checkout.session.expired');
  assert.equal(/** @type {any} */ (events.data[0]?.data.object).id, session.id);
});
