// Refunds: by PaymentIntent or charge, full or partial, each sending charge.refunded.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness, WEBHOOK_SECRET } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

test('a full refund by payment_intent refunds the charge and sends a signed charge.refunded', async () => {
  const { pay } = await h.paidTopUp({ amount: 2500 });
  const pi = pay.json.payment_intent;
  const refund = await h.stripe.refunds.create({ payment_intent: pi.id, metadata: { reason_code: 'dispute' } });
  assert.match(refund.id, /^re_/);
  assert.deepEqual(
    { amount: refund.amount, status: refund.status, charge: refund.charge, payment_intent: refund.payment_intent },
    { amount: 2500, status: 'succeeded', charge: pi.latest_charge, payment_intent: pi.id },
  );
  const charge = await h.stripe.charges.retrieve(pi.latest_charge, { expand: ['refunds'] });
  assert.equal(charge.amount_refunded, 2500);
  assert.equal(charge.refunded, true);
  assert.deepEqual(charge.refunds?.data.map((r) => r.id), [refund.id]);

  const [delivery] = await h.receiver.waitFor((e) => e.type === 'charge.refunded' && e.data.object.id === pi.latest_charge);
  const event = h.stripe.webhooks.constructEvent(delivery.body, /** @type {string} */ (delivery.headers['stripe-signature']), WEBHOOK_SECRET);
  const object = /** @type {import('stripe').Stripe.Charge} */ (event.data.object);
  assert.deepEqual({ amount_refunded: object.amount_refunded, refunded: object.refunded, payment_intent: object.payment_intent }, {
    amount_refunded: 2500,
    refunded: true,
    payment_intent: pi.id,
  });
});

test('partial refunds by charge add up, one charge.refunded each, and never exceed the charge', async () => {
  const { pay } = await h.paidTopUp({ amount: 3000 });
  const chargeId = pay.json.payment_intent.latest_charge;
  await h.stripe.refunds.create({ charge: chargeId, amount: 1000 });
  await assert.rejects(h.stripe.refunds.create({ charge: chargeId, amount: 2500 }), (/** @type {any} */ err) => {
    assert.equal(err.statusCode, 400);
    assert.equal(err.param, 'amount');
    assert.match(err.message, /greater than unrefunded amount/);
    return true;
  });
  const rest = await h.stripe.refunds.create({ charge: chargeId });
  assert.equal(rest.amount, 2000);
  await assert.rejects(h.stripe.refunds.create({ charge: chargeId }), (/** @type {any} */ err) => err.code === 'charge_already_refunded');

  const deliveries = await h.receiver.waitFor((e) => e.type === 'charge.refunded' && e.data.object.id === chargeId, 2);
  assert.deepEqual(
    deliveries.map((d) => d.event.data.object.amount_refunded).sort((a, b) => a - b),
    [1000, 3000],
  );
  const charge = await h.stripe.charges.retrieve(chargeId);
  assert.deepEqual({ amount_refunded: charge.amount_refunded, refunded: charge.refunded }, { amount_refunded: 3000, refunded: true });
  assert.equal((await h.stripe.refunds.retrieve(rest.id)).amount, 2000);
});

test('a PaymentIntent without a successful charge cannot be refunded', async () => {
  const customer = await h.stripe.customers.create({ email: 'norefund@example.com' });
  const pm = await h.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
  const failed = await h.call('/v1/payment_intents', {
    form: `amount=1000&currency=usd&customer=${customer.id}&payment_method=${pm.id}&confirm=true&off_session=true`,
  });
  assert.equal(failed.status, 402);
  await assert.rejects(h.stripe.refunds.create({ payment_intent: failed.json.error.payment_intent.id }), (/** @type {any} */ err) => {
    assert.equal(err.statusCode, 400);
    assert.equal(err.param, 'payment_intent');
    return true;
  });
  await assert.rejects(h.stripe.refunds.create({}), (/** @type {any} */ err) => err.statusCode === 400);
});

test('GET /v1/refunds lists a charge\'s refunds, newest first', async () => {
  const { startEmulator } = await import('../server.mjs');
  const emulator = await startEmulator({ port: 0, webhookUrl: 'http://127.0.0.1:9/unused', webhookSecret: 'whsec_list' });
  try {
    const H = { authorization: 'Bearer sk_test_list', 'content-type': 'application/x-www-form-urlencoded' };
    const post = async (path, body) => (await fetch(`${emulator.url}${path}`, { method: 'POST', headers: H, body })).json();
    const customer = await post('/v1/customers', 'name=refund-list');
    const session = await post('/v1/checkout/sessions', `mode=payment&customer=${customer.id}&line_items[0][quantity]=1&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=3000&line_items[0][price_data][product_data][name]=x&success_url=http://x/s`);
    await fetch(`${emulator.url}/__emulator/checkout/${session.id}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ card: '4242424242424242' }) });
    const paid = await (await fetch(`${emulator.url}/v1/checkout/sessions/${session.id}`, { headers: H })).json();
    const first = await post('/v1/refunds', `payment_intent=${paid.payment_intent}&amount=500`);
    const second = await post('/v1/refunds', `payment_intent=${paid.payment_intent}&amount=700`);
    const list = await (await fetch(`${emulator.url}/v1/refunds?charge=${first.charge}`, { headers: H })).json();
    assert.equal(list.object, 'list');
    assert.deepEqual(list.data.map((r) => r.id), [second.id, first.id]);
    const none = await (await fetch(`${emulator.url}/v1/refunds?charge=ch_other`, { headers: H })).json();
    assert.equal(none.data.length, 0);
  } finally {
    await emulator.close();
  }
});

test("Stripe's pending-refund card: the refund starts pending and succeeds later, each step sending its events", async () => {
  const { pay } = await h.paidTopUp({ amount: 2000, card: '4000 0000 0000 7726' });
  const pi = pay.json.payment_intent;
  const refund = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 800 });
  assert.deepEqual({ status: refund.status, pending_reason: refund.pending_reason }, { status: 'pending', pending_reason: 'processing' });
  assert.equal((await h.stripe.charges.retrieve(pi.latest_charge)).amount_refunded, 800);
  await h.receiver.waitFor((e) => e.type === 'refund.created' && e.data.object.id === refund.id);
  // Listed by PaymentIntent and by charge, as Stripe lists them.
  assert.deepEqual((await h.stripe.refunds.list({ payment_intent: pi.id })).data.map((r) => [r.id, r.status]), [[refund.id, 'pending']]);
  assert.deepEqual((await h.stripe.refunds.list({ charge: pi.latest_charge })).data.map((r) => r.id), [refund.id]);

  const settled = await h.call(`/__emulator/refunds/${refund.id}/succeed`, { json: {} });
  assert.equal(settled.status, 200);
  assert.equal(settled.json.status, 'succeeded');
  assert.equal('pending_reason' in settled.json, false);
  for (const type of ['charge.refund.updated', 'refund.updated']) {
    const [delivery] = await h.receiver.waitFor((e) => e.type === type && e.data.object.id === refund.id);
    assert.equal(delivery.event.data.object.status, 'succeeded');
  }
  assert.equal((await h.stripe.refunds.retrieve(refund.id)).status, 'succeeded');
  // A succeeded refund cannot succeed again.
  const again = await h.call(`/__emulator/refunds/${refund.id}/succeed`, { json: {} });
  assert.equal(again.status, 400);
});

test("Stripe's refund-fail card: the refund succeeds, then fails; the charge counts it no more", async () => {
  const { pay } = await h.paidTopUp({ amount: 2000, card: '4000 0000 0000 5126' });
  const pi = pay.json.payment_intent;
  const refund = await h.stripe.refunds.create({ payment_intent: pi.id });
  assert.equal(refund.status, 'succeeded');
  assert.equal((await h.stripe.charges.retrieve(pi.latest_charge)).refunded, true);

  const failed = await h.call(`/__emulator/refunds/${refund.id}/fail`, { json: {} });
  assert.equal(failed.status, 200);
  assert.deepEqual({ status: failed.json.status, failure_reason: failed.json.failure_reason }, { status: 'failed', failure_reason: 'expired_or_canceled_card' });
  for (const type of ['charge.refund.updated', 'refund.updated', 'refund.failed']) {
    const [delivery] = await h.receiver.waitFor((e) => e.type === type && e.data.object.id === refund.id);
    assert.equal(delivery.event.data.object.status, 'failed');
  }
  const charge = await h.stripe.charges.retrieve(pi.latest_charge);
  assert.deepEqual({ amount_refunded: charge.amount_refunded, refunded: charge.refunded }, { amount_refunded: 0, refunded: false });
  // A failed refund is final; the charge can be refunded again.
  assert.equal((await h.call(`/__emulator/refunds/${refund.id}/fail`, { json: {} })).status, 400);
  assert.equal((await h.stripe.refunds.create({ payment_intent: pi.id, amount: 500 })).amount, 500);
  assert.equal((await h.call('/__emulator/refunds/re_missing/fail', { json: {} })).status, 404);
});
