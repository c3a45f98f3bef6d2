// Off-session charges (auto-recharge): success with the saved card, declines, idempotency.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness, topUpParams, WEBHOOK_SECRET } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** The customer and saved card a paid top-up leaves behind. */
async function savedCard() {
  const { customer, pay } = await h.paidTopUp();
  return { customer, pmId: /** @type {string} */ (pay.json.payment_intent.payment_method) };
}

/** @param {string} customer @param {string} paymentMethod @param {Record<string, string>} [metadata] */
const offSession = (customer, paymentMethod, metadata = { workspace_id: 'ws_test', kind: 'auto_recharge' }) => ({
  amount: 5000,
  currency: 'usd',
  customer,
  payment_method: paymentMethod,
  off_session: true,
  confirm: true,
  metadata,
});

test('an off-session PaymentIntent with the saved card succeeds and sends payment_intent.succeeded', async () => {
  const { customer, pmId } = await savedCard();
  const pi = await h.stripe.paymentIntents.create(offSession(customer.id, pmId));
  assert.match(pi.id, /^pi_/);
  assert.deepEqual({ status: pi.status, amount_received: pi.amount_received, payment_method: pi.payment_method }, {
    status: 'succeeded',
    amount_received: 5000,
    payment_method: pmId,
  });
  const charge = await h.stripe.charges.retrieve(/** @type {string} */ (pi.latest_charge));
  assert.match(charge.id, /^ch_/);
  assert.equal(charge.payment_intent, pi.id);
  assert.equal(charge.payment_method_details?.card?.last4, '4242');
  assert.deepEqual(charge.metadata, { workspace_id: 'ws_test', kind: 'auto_recharge' });

  const [delivery] = await h.receiver.waitFor((e) => e.type === 'payment_intent.succeeded' && e.data.object.id === pi.id);
  const event = h.stripe.webhooks.constructEvent(delivery.body, /** @type {string} */ (delivery.headers['stripe-signature']), WEBHOOK_SECRET);
  assert.deepEqual(/** @type {any} */ (event.data.object).metadata, { workspace_id: 'ws_test', kind: 'auto_recharge' });
  assert.equal((await h.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
});

test('a declining card fails with a 402 card_declined / generic_decline; the PaymentIntent is left requires_payment_method', async () => {
  const customer = await h.stripe.customers.create({ email: 'fail@example.com' });
  // Stripe's "attach succeeds, charges fail" card.
  const pm = await h.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
  assert.equal(pm.card?.last4, '0341');

  /** @type {any} */
  let caught;
  await assert.rejects(h.stripe.paymentIntents.create(offSession(customer.id, pm.id)), (/** @type {any} */ err) => {
    caught = err;
    return true;
  });
  assert.equal(caught.type, 'StripeCardError');
  assert.equal(caught.statusCode, 402);
  assert.equal(caught.code, 'card_declined');
  assert.equal(caught.decline_code, 'generic_decline');
  assert.equal(caught.raw.type, 'card_error');
  const piId = caught.raw.payment_intent.id;
  assert.match(piId, /^pi_/);

  const pi = await h.stripe.paymentIntents.retrieve(piId);
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.amount_received, 0);
  assert.equal(pi.last_payment_error?.code, 'card_declined');
  assert.equal(pi.last_payment_error?.decline_code, 'generic_decline');
  const charge = await h.stripe.charges.retrieve(/** @type {string} */ (pi.latest_charge));
  assert.deepEqual({ status: charge.status, paid: charge.paid, failure_code: charge.failure_code }, {
    status: 'failed',
    paid: false,
    failure_code: 'card_declined',
  });

  const [delivery] = await h.receiver.waitFor((e) => e.type === 'payment_intent.payment_failed' && e.data.object.id === piId);
  assert.equal(delivery.event.data.object.last_payment_error.decline_code, 'generic_decline');
  assert.equal(delivery.event.data.object.metadata.kind, 'auto_recharge');
});

test('a saved card can be told to start declining, and to pay again', async () => {
  const { customer, pmId } = await savedCard();
  const flip = await h.call(`/__emulator/payment_methods/${pmId}/outcome`, { json: { outcome: 'decline' } });
  assert.equal(flip.status, 200);
  await assert.rejects(h.stripe.paymentIntents.create(offSession(customer.id, pmId)), (/** @type {any} */ err) => {
    assert.equal(err.code, 'card_declined');
    assert.equal(err.decline_code, 'generic_decline');
    return true;
  });
  await h.call(`/__emulator/payment_methods/${pmId}/outcome`, { json: { outcome: 'succeed' } });
  const pi = await h.stripe.paymentIntents.create(offSession(customer.id, pmId));
  assert.equal(pi.status, 'succeeded');
});

test('a card that always needs 3D Secure is declined off-session: 402 authentication_required with the PaymentIntent in the error', async () => {
  const customer = await h.stripe.customers.create({ email: '3ds@example.com' });
  const pm = await h.stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: customer.id });
  /** @type {any} */
  let caught;
  await assert.rejects(h.stripe.paymentIntents.create(offSession(customer.id, pm.id)), (/** @type {any} */ err) => {
    caught = err;
    return true;
  });
  // Stripe's shape: a card_error whose code and decline_code are authentication_required, naming the
  // PaymentIntent, left in requires_payment_method with last_payment_error (no next_action).
  assert.equal(caught.type, 'StripeCardError');
  assert.equal(caught.statusCode, 402);
  assert.equal(caught.raw.type, 'card_error');
  assert.equal(caught.code, 'authentication_required');
  assert.equal(caught.decline_code, 'authentication_required');
  const inError = caught.payment_intent;
  assert.equal(inError.status, 'requires_payment_method');
  assert.equal(inError.next_action, null);
  assert.equal(inError.last_payment_error.code, 'authentication_required');
  assert.equal(inError.last_payment_error.payment_method.id, pm.id);
  assert.deepEqual(inError.metadata, { workspace_id: 'ws_test', kind: 'auto_recharge' });
  const pi = await h.stripe.paymentIntents.retrieve(inError.id);
  assert.deepEqual({ status: pi.status, amount_received: pi.amount_received, code: pi.last_payment_error?.code }, {
    status: 'requires_payment_method',
    amount_received: 0,
    code: 'authentication_required',
  });
  await h.receiver.waitFor((e) => e.type === 'payment_intent.payment_failed' && e.data.object.id === pi.id);
  assert.equal(h.receiver.received.filter((d) => d.event.type === 'payment_intent.requires_action' && d.event.data.object.id === pi.id).length, 0);
});

test('the declined PaymentIntent confirmed again with the customer present waits for the challenge; its hosted page pays it and returns to return_url', async () => {
  const customer = await h.stripe.customers.create({ email: '3ds-back@example.com' });
  const pm = await h.stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: customer.id });
  const failed = await h.stripe.paymentIntents.create(offSession(customer.id, pm.id)).catch((/** @type {any} */ err) => err.payment_intent);
  const pi = await h.stripe.paymentIntents.confirm(failed.id, { payment_method: pm.id, return_url: 'https://billing.example.com/back' });
  assert.equal(pi.status, 'requires_action');
  assert.equal(pi.next_action?.type, 'redirect_to_url');
  const url = /** @type {string} */ (pi.next_action?.redirect_to_url?.url);
  assert.match(url, new RegExp(`/authenticate/${pi.id}$`));
  assert.equal(pi.next_action?.redirect_to_url?.return_url, 'https://billing.example.com/back');
  await h.receiver.waitFor((e) => e.type === 'payment_intent.requires_action' && e.data.object.id === pi.id);

  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Complete authentication/);
  const done = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '', redirect: 'manual' });
  assert.equal(done.status, 303);
  const back = new URL(/** @type {string} */ (done.headers.get('location')));
  assert.equal(`${back.origin}${back.pathname}`, 'https://billing.example.com/back');
  assert.equal(back.searchParams.get('payment_intent'), pi.id);
  assert.equal(back.searchParams.get('redirect_status'), 'succeeded');
  const after = await h.stripe.paymentIntents.retrieve(pi.id);
  assert.deepEqual({ status: after.status, amount_received: after.amount_received, next_action: after.next_action }, { status: 'succeeded', amount_received: 5000, next_action: null });
  await h.receiver.waitFor((e) => e.type === 'payment_intent.succeeded' && e.data.object.id === pi.id);
  // A second submit changes nothing (the same charge stays the latest).
  const again = await fetch(url, { method: 'POST', body: '' });
  assert.match(await again.text(), /Payment confirmed/);
  assert.equal((await h.stripe.paymentIntents.retrieve(pi.id)).latest_charge, after.latest_charge);
});

test('confirmed on-session without return_url, the 3D Secure card asks Stripe.js to run the challenge (use_stripe_sdk)', async () => {
  const customer = await h.stripe.customers.create({ email: '3ds-sdk@example.com' });
  const pm = await h.stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: customer.id });
  const pi = await h.stripe.paymentIntents.create({ amount: 700, currency: 'usd', customer: customer.id, payment_method: pm.id, confirm: true });
  assert.equal(pi.status, 'requires_action');
  assert.equal(pi.next_action?.type, 'use_stripe_sdk');
  const done = await fetch(`${h.emulator.url}/authenticate/${pi.id}`, { method: 'POST', body: '' });
  assert.match(await done.text(), /Payment confirmed/);
  assert.equal((await h.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
});

test('a Checkout Session for the same amount is paid on the hosted page with the 3D Secure card (the challenge taken as passed)', async () => {
  const customer = await h.stripe.customers.create({ email: '3ds-checkout@example.com' });
  const expiresAt = Math.floor(Date.now() / 1000) + 23 * 3600;
  const session = await h.stripe.checkout.sessions.create({ ...topUpParams(customer.id, 5000), expires_at: expiresAt });
  assert.equal(session.expires_at, expiresAt);
  const paid = await h.call(`/c/pay/${session.id}`, { form: new URLSearchParams({ card: '4000 0027 6000 3184', email: '3ds-checkout@example.com' }).toString() });
  assert.equal(paid.status, 303);
  const after = await h.stripe.checkout.sessions.retrieve(session.id);
  assert.deepEqual({ status: after.status, payment_status: after.payment_status }, { status: 'complete', payment_status: 'paid' });
  await h.receiver.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === session.id);
  await h.receiver.waitFor((e) => e.type === 'payment_intent.succeeded' && e.data.object.id === after.payment_intent);
});

test('Idempotency-Key: the same key and body replay the first response without a second payment', async () => {
  const { customer, pmId } = await savedCard();
  const key = `auto-recharge-${customer.id}-1`;
  const first = await h.stripe.paymentIntents.create(offSession(customer.id, pmId), { idempotencyKey: key });
  const second = await h.stripe.paymentIntents.create(offSession(customer.id, pmId), { idempotencyKey: key });
  assert.equal(second.id, first.id);
  assert.deepEqual(second, first);

  const form = new URLSearchParams({ amount: '5000', currency: 'usd', customer: customer.id, payment_method: pmId, off_session: 'true', confirm: 'true' });
  form.set('metadata[workspace_id]', 'ws_test');
  form.set('metadata[kind]', 'auto_recharge');
  const raw = await h.call('/v1/payment_intents', { form: form.toString(), headers: { 'idempotency-key': key } });
  assert.equal(raw.status, 200);
  assert.equal(raw.json.id, first.id);
  assert.equal(raw.headers.get('idempotent-replayed'), 'true');

  const made = [...(await h.call('/__emulator/events?type=payment_intent.succeeded')).json.data].filter(
    (/** @type {any} */ e) => e.data.object.customer === customer.id && e.data.object.amount === 5000,
  );
  assert.equal(made.length, 1, 'one PaymentIntent succeeded for three requests');
});

test('Idempotency-Key: the same key with other parameters is a 400 idempotency_error', async () => {
  const { customer, pmId } = await savedCard();
  const key = `conflict-${customer.id}`;
  await h.stripe.paymentIntents.create(offSession(customer.id, pmId), { idempotencyKey: key });
  await assert.rejects(
    h.stripe.paymentIntents.create({ ...offSession(customer.id, pmId), amount: 6000 }, { idempotencyKey: key }),
    (/** @type {any} */ err) => {
      assert.equal(err.type, 'StripeIdempotencyError');
      assert.equal(err.statusCode, 400);
      assert.equal(err.raw.type, 'idempotency_error');
      assert.match(err.message, /same parameters/);
      return true;
    },
  );
  const otherEndpoint = await h.call('/v1/customers', { form: 'email=x%40example.com', headers: { 'idempotency-key': key } });
  assert.equal(otherEndpoint.status, 400);
  assert.equal(otherEndpoint.json.error.type, 'idempotency_error');
});

test('Idempotency-Key: a decline is replayed as the same 402; a validation error is not stored', async () => {
  const customer = await h.stripe.customers.create({ email: 'replay@example.com' });
  const pm = await h.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
  const key = `decline-${customer.id}`;
  const form = new URLSearchParams({ amount: '5000', currency: 'usd', customer: customer.id, payment_method: pm.id, off_session: 'true', confirm: 'true' }).toString();
  const first = await h.call('/v1/payment_intents', { form, headers: { 'idempotency-key': key } });
  const second = await h.call('/v1/payment_intents', { form, headers: { 'idempotency-key': key } });
  assert.equal(first.status, 402);
  assert.equal(second.status, 402);
  assert.equal(second.json.error.payment_intent.id, first.json.error.payment_intent.id);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');

  const badKey = `invalid-${customer.id}`;
  const invalid = await h.call('/v1/payment_intents', { form: 'amount=5000', headers: { 'idempotency-key': badKey } });
  assert.equal(invalid.status, 400);
  const corrected = await h.call('/v1/payment_intents', { form: 'amount=5000&currency=usd', headers: { 'idempotency-key': badKey } });
  assert.equal(corrected.status, 200);
  assert.equal(corrected.json.status, 'requires_payment_method');
});

test('off_session needs confirm, confirm needs a payment method, and a card is only charged for its customer', async () => {
  const { customer, pmId } = await savedCard();
  const other = await h.stripe.customers.create({ email: 'other@example.com' });
  /** @param {any} params @param {string | undefined} param */
  const rejects = (params, param) =>
    assert.rejects(h.stripe.paymentIntents.create(params), (/** @type {any} */ err) => {
      assert.equal(err.statusCode, 400, err.message);
      assert.equal(err.param, param);
      return true;
    });
  await rejects({ ...offSession(customer.id, pmId), confirm: false }, 'off_session');
  await rejects({ amount: 5000, currency: 'usd', customer: customer.id, confirm: true }, undefined);
  await rejects(offSession(other.id, pmId), 'payment_method');
  await rejects(offSession(customer.id, 'pm_missing'), 'payment_method');
  await rejects({ ...offSession(customer.id, pmId), amount: 10 }, 'amount');
});

test('a PaymentIntent created without confirm can be confirmed later', async () => {
  const { customer, pmId } = await savedCard();
  const pi = await h.stripe.paymentIntents.create({ amount: 700, currency: 'usd', customer: customer.id, payment_method: pmId });
  assert.equal(pi.status, 'requires_confirmation');
  const confirmed = await h.stripe.paymentIntents.confirm(pi.id, { off_session: true });
  assert.equal(confirmed.status, 'succeeded');
  await assert.rejects(h.stripe.paymentIntents.confirm(pi.id), (/** @type {any} */ err) => err.code === 'payment_intent_unexpected_state');
});
