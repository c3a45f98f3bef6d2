// Pausing webhook delivery: events are still recorded (GET /v1/events), held back, then sent on
// resume, or dropped with {drop: true}.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** @param {string} id */
const delivered = (id) => h.receiver.received.filter((d) => d.event.id === id).length;

test('paused events are listed but not sent; resume sends them once', async () => {
  assert.deepEqual((await h.call('/__emulator/webhooks/pause', { method: 'POST' })).json, { paused: true, held: 0 });
  assert.equal((await h.call('/__emulator')).json.webhooksPaused, true);
  const customer = await h.stripe.customers.create({});
  const session = await h.stripe.checkout.sessions.create({
    mode: 'payment',
    customer: customer.id,
    line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 900, product_data: { name: 'x' } } }],
    success_url: 'http://127.0.0.1/s',
  });
  await h.stripe.checkout.sessions.expire(session.id);
  const [event] = (await h.stripe.events.list({ type: 'checkout.session.expired', limit: 1 })).data;
  assert.equal(/** @type {any} */ (event.data.object).id, session.id, 'recorded in /v1/events while paused');
  assert.equal((await h.call(`/__emulator/events/${event.id}`)).json.delivery.status, 'paused');
  await sleep(100);
  assert.equal(delivered(event.id), 0, 'nothing was sent while paused');

  const resumed = await h.call('/__emulator/webhooks/resume', { method: 'POST' });
  assert.deepEqual(resumed.json, { paused: false, delivered: [event.id] });
  await h.receiver.waitFor((e) => e.id === event.id);
  assert.equal(delivered(event.id), 1);
  assert.equal((await h.call(`/__emulator/events/${event.id}`)).json.delivery.status, 'delivered');
});

test('resume with drop discards the held events; later events are sent as usual', async () => {
  await h.call('/__emulator/webhooks/pause', { method: 'POST' });
  const held = await h.stripe.customers.create({});
  const session = await h.stripe.checkout.sessions.create({
    mode: 'payment',
    customer: held.id,
    line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 900, product_data: { name: 'x' } } }],
    success_url: 'http://127.0.0.1/s',
  });
  await h.stripe.checkout.sessions.expire(session.id);
  const [event] = (await h.stripe.events.list({ type: 'checkout.session.expired', limit: 1 })).data;
  const resumed = await h.call('/__emulator/webhooks/resume', { json: { drop: true } });
  assert.deepEqual(resumed.json, { paused: false, dropped: [event.id] });
  await sleep(100);
  assert.equal(delivered(event.id), 0);
  assert.equal((await h.call(`/__emulator/events/${event.id}`)).json.delivery.status, 'dropped');

  const next = await h.stripe.checkout.sessions.create({
    mode: 'payment',
    customer: held.id,
    line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 900, product_data: { name: 'x' } } }],
    success_url: 'http://127.0.0.1/s',
  });
  await h.stripe.checkout.sessions.expire(next.id);
  await h.receiver.waitFor((e) => e.type === 'checkout.session.expired' && e.data.object.id === next.id);
});
