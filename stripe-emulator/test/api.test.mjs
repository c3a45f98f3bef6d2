// The API surface: authentication, Stripe's error and list shapes, customers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

test('a request without an API key is a Stripe-shaped 401', async () => {
  const res = await h.call('/v1/customers', { form: 'email=a%40example.com', auth: false });
  assert.equal(res.status, 401);
  assert.equal(res.json.error.type, 'invalid_request_error');
  assert.match(res.json.error.message, /You did not provide an API key/);
  const requests = await h.call('/__emulator/requests');
  assert.ok(requests.json.data.some((/** @type {any} */ r) => r.status === 401 && r.path === '/v1/customers'));
});

test('live and malformed keys are refused; stripe-node sees an authentication error', async () => {
  const live = await h.call('/v1/customers/cus_x', { headers: { authorization: 'Bearer sk_live_123456789abc' }, auth: false });
  assert.equal(live.status, 401);
  assert.match(live.json.error.message, /Invalid API Key provided: sk_live_/);
  const client = new Stripe('sk_live_nope', { host: '127.0.0.1', port: h.emulator.port, protocol: 'http', httpClient: Stripe.createFetchHttpClient(), maxNetworkRetries: 0 });
  await assert.rejects(client.customers.create({ email: 'x@example.com' }), (/** @type {any} */ err) => {
    assert.equal(err.type, 'StripeAuthenticationError');
    assert.equal(err.statusCode, 401);
    return true;
  });
});

test('curl-style basic auth with the key as user name works, and bracket notation nests', async () => {
  const res = await h.call('/v1/customers', {
    form: 'email=curl%40example.com&metadata[workspace_id]=ws_42&metadata[plan]=pro',
    headers: { authorization: `Basic ${Buffer.from('sk_test_curl:').toString('base64')}` },
    auth: false,
  });
  assert.equal(res.status, 200);
  assert.match(res.json.id, /^cus_/);
  assert.equal(res.json.object, 'customer');
  assert.deepEqual(res.json.metadata, { workspace_id: 'ws_42', plan: 'pro' });
  assert.match(res.headers.get('request-id') ?? '', /^req_/);
});

test('unknown URLs answer 404 with Stripe error shape; JSON bodies are refused', async () => {
  const missing = await h.call('/v1/subscriptions_nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.type, 'invalid_request_error');
  assert.match(missing.json.error.message, /Unrecognized request URL \(GET: \/v1\/subscriptions_nope\)/);

  const json = await h.call('/v1/customers', { json: { email: 'json@example.com' } });
  assert.equal(json.status, 400);
  assert.match(json.json.error.message, /form-encoded/);
});

test('customers: create, retrieve, update with metadata merge and unset', async () => {
  const created = await h.stripe.customers.create({ email: 'a@example.com', name: 'Ada', metadata: { workspace_id: 'ws_1', tier: 'x' } });
  assert.match(created.id, /^cus_/);
  assert.equal(created.invoice_settings.default_payment_method, null);

  const fetched = await h.stripe.customers.retrieve(created.id);
  assert.equal(/** @type {any} */ (fetched).email, 'a@example.com');

  const updated = await h.stripe.customers.update(created.id, { name: 'Ada L.', metadata: { tier: '', region: 'eu' } });
  assert.equal(updated.name, 'Ada L.');
  assert.deepEqual(updated.metadata, { workspace_id: 'ws_1', region: 'eu' });
});

test('an unknown id is a 404 resource_missing with param id', async () => {
  await assert.rejects(h.stripe.customers.retrieve('cus_doesnotexist'), (/** @type {any} */ err) => {
    assert.equal(err.type, 'StripeInvalidRequestError');
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.param, 'id');
    assert.equal(err.message, "No such customer: 'cus_doesnotexist'");
    return true;
  });
});

test('invoice_settings.default_payment_method must be a card attached to the customer', async () => {
  const customer = await h.stripe.customers.create({ email: 'pm@example.com' });
  const loose = await h.stripe.paymentMethods.create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' } });
  await assert.rejects(
    h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: loose.id } }),
    (/** @type {any} */ err) => {
      assert.equal(err.statusCode, 400);
      assert.equal(err.param, 'invoice_settings[default_payment_method]');
      return true;
    },
  );
  await h.stripe.paymentMethods.attach(loose.id, { customer: customer.id });
  const updated = await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: loose.id } });
  assert.equal(updated.invoice_settings.default_payment_method, loose.id);
  const expanded = await h.stripe.customers.retrieve(customer.id, { expand: ['invoice_settings.default_payment_method'] });
  const pm = /** @type {any} */ (expanded).invoice_settings.default_payment_method;
  assert.equal(pm.id, loose.id);
  assert.equal(pm.card.last4, '4242');
});

test('lists have Stripe shape and paginate newest first', async () => {
  const customer = await h.stripe.customers.create({ email: 'many@example.com' });
  const ids = [];
  for (let i = 0; i < 3; i += 1) {
    const pm = await h.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
    ids.push(pm.id);
  }
  const first = await h.stripe.customers.listPaymentMethods(customer.id, { limit: 2 });
  assert.equal(first.object, 'list');
  assert.equal(first.url, `/v1/customers/${customer.id}/payment_methods`);
  assert.equal(first.has_more, true);
  assert.deepEqual(first.data.map((pm) => pm.id), [ids[2], ids[1]]);
  const rest = await h.stripe.customers.listPaymentMethods(customer.id, { limit: 2, starting_after: ids[1] });
  assert.deepEqual(rest.data.map((pm) => pm.id), [ids[0]]);
  assert.equal(rest.has_more, false);
  const all = [];
  for await (const pm of h.stripe.paymentMethods.list({ customer: customer.id, type: 'card', limit: 1 })) all.push(pm.id);
  assert.deepEqual(all, [ids[2], ids[1], ids[0]]);
});

test('an invalid parameter names itself in the error', async () => {
  const res = await h.call('/v1/payment_intents', { form: 'amount=ten&currency=usd' });
  assert.equal(res.status, 400);
  assert.deepEqual({ type: res.json.error.type, param: res.json.error.param }, { type: 'invalid_request_error', param: 'amount' });
  const missing = await h.call('/v1/payment_intents', { form: 'amount=1000' });
  assert.equal(missing.json.error.code, 'parameter_missing');
  assert.equal(missing.json.error.param, 'currency');
});
