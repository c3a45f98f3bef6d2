// Checkout top-ups: session creation, the JSON pay shortcut, the hosted page, declines, expiry.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness, topUpParams, WEBHOOK_SECRET } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** @param {string} sessionId */
const eventsFor = (sessionId) => (/** @type {any} */ e) => e.data.object.id === sessionId;

test('a top-up session is open, unpaid, and points at the hosted page', async () => {
  const customer = await h.stripe.customers.create({ email: 'open@example.com' });
  const session = await h.stripe.checkout.sessions.create(topUpParams(customer.id, 2500));
  assert.match(session.id, /^cs_test_/);
  assert.equal(session.object, 'checkout.session');
  assert.equal(session.url, `${h.emulator.url}/c/pay/${session.id}`);
  assert.deepEqual(
    { status: session.status, payment_status: session.payment_status, amount_total: session.amount_total, currency: session.currency },
    { status: 'open', payment_status: 'unpaid', amount_total: 2500, currency: 'usd' },
  );
  assert.equal(session.customer, customer.id);
  assert.equal(session.client_reference_id, 'ws_test');
  assert.deepEqual(session.metadata, { workspace_id: 'ws_test', deposit_id: 'dep_1' });
  assert.equal(session.invoice_creation?.enabled, true);
  assert.equal(session.payment_intent, null);
  assert.equal(session.invoice, null);
  assert.ok(session.expires_at > session.created);
  const items = await h.stripe.checkout.sessions.listLineItems(session.id);
  assert.equal(items.data[0]?.description, 'burnrate credits');
  assert.equal(items.data[0]?.amount_total, 2500);
});

test('paying with 4242 completes the session, saves the card, creates a paid invoice and signed webhooks', async () => {
  const { customer, session, pay } = await h.paidTopUp({ amount: 2500 });
  assert.equal(pay.status, 200);
  assert.equal(pay.json.redirect_url, `http://127.0.0.1:8787/v1/billing/success?session_id=${session.id}`);

  const paid = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent', 'invoice'] });
  assert.equal(paid.status, 'complete');
  assert.equal(paid.payment_status, 'paid');
  assert.equal(paid.url, null);
  const pi = /** @type {import('stripe').Stripe.PaymentIntent} */ (paid.payment_intent);
  assert.match(pi.id, /^pi_/);
  assert.deepEqual({ status: pi.status, amount: pi.amount, received: pi.amount_received, customer: pi.customer }, {
    status: 'succeeded',
    amount: 2500,
    received: 2500,
    customer: customer.id,
  });
  assert.deepEqual(pi.metadata, { workspace_id: 'ws_test', kind: 'topup' });
  assert.equal(pi.setup_future_usage, 'off_session');

  const invoice = /** @type {import('stripe').Stripe.Invoice} */ (paid.invoice);
  assert.match(invoice.id ?? '', /^in_/);
  assert.equal(invoice.status, 'paid');
  assert.equal(invoice.amount_paid, 2500);
  assert.equal(invoice.customer, customer.id);
  assert.deepEqual(invoice.metadata, { workspace_id: 'ws_test' });
  assert.equal(invoice.hosted_invoice_url, `${h.emulator.url}/invoices/${invoice.id}`);
  const page = await fetch(/** @type {string} */ (invoice.hosted_invoice_url));
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const html = await page.text();
  assert.match(html, /\$25\.00/);
  assert.match(html, /Paid/);

  const pmId = /** @type {string} */ (pi.payment_method);
  const pm = await h.stripe.paymentMethods.retrieve(pmId);
  assert.match(pm.id, /^pm_/);
  assert.equal(pm.customer, customer.id);
  assert.deepEqual({ brand: pm.card?.brand, last4: pm.card?.last4 }, { brand: 'visa', last4: '4242' });
  const viaCustomer = await h.stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
  assert.deepEqual(viaCustomer.data.map((x) => x.id), [pmId]);
  const viaQuery = await h.stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
  assert.deepEqual(viaQuery.data.map((x) => x.id), [pmId]);

  const charge = await h.stripe.charges.retrieve(/** @type {string} */ (pi.latest_charge));
  assert.deepEqual({ paid: charge.paid, status: charge.status, amount: charge.amount }, { paid: true, status: 'succeeded', amount: 2500 });

  const [completed] = await h.receiver.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === session.id);
  const event = h.stripe.webhooks.constructEvent(completed.body, /** @type {string} */ (completed.headers['stripe-signature']), WEBHOOK_SECRET);
  assert.equal(event.type, 'checkout.session.completed');
  const object = /** @type {import('stripe').Stripe.Checkout.Session} */ (event.data.object);
  assert.equal(object.payment_status, 'paid');
  assert.equal(object.payment_intent, pi.id);
  assert.equal(object.invoice, invoice.id);
  assert.deepEqual(object.metadata, { workspace_id: 'ws_test', deposit_id: 'dep_1' });

  const [succeeded] = await h.receiver.waitFor((e) => e.type === 'payment_intent.succeeded' && e.data.object.id === pi.id);
  const piEvent = h.stripe.webhooks.constructEvent(succeeded.body, /** @type {string} */ (succeeded.headers['stripe-signature']), WEBHOOK_SECRET);
  assert.equal(/** @type {any} */ (piEvent.data.object).status, 'succeeded');
});

test('customer_creation=always makes a customer with the email typed at checkout', async () => {
  const params = topUpParams('unused', 1000);
  delete params.customer;
  const session = await h.stripe.checkout.sessions.create({ ...params, customer_creation: 'always' });
  assert.equal(session.customer, null);
  const pay = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card: '4242424242424242', email: 'new@example.com' } });
  assert.equal(pay.status, 200);
  const paid = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['customer'] });
  const customer = /** @type {import('stripe').Stripe.Customer} */ (paid.customer);
  assert.match(customer.id, /^cus_/);
  assert.equal(customer.email, 'new@example.com');
  assert.equal(paid.customer_details?.email, 'new@example.com');
  const pms = await h.stripe.customers.listPaymentMethods(customer.id);
  assert.equal(pms.data.length, 1, 'setup_future_usage saved the card on the new customer');
});

test('the hosted page shows the amount and an accessible card form; paying redirects 303 to success_url', async () => {
  const customer = await h.stripe.customers.create({ email: 'page@example.com' });
  const session = await h.stripe.checkout.sessions.create(topUpParams(customer.id, 4999));
  const page = await fetch(/** @type {string} */ (session.url));
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<html lang="en">/);
  assert.match(html, /\$49\.99/);
  assert.match(html, /<label for="card">Card number<\/label>/);
  assert.match(html, /<input id="card" name="card"[^>]*autocomplete="cc-number"/);
  assert.match(html, /<button type="submit">Pay \$49\.99<\/button>/);

  const post = await fetch(/** @type {string} */ (session.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ card: '4242 4242 4242 4242', exp: '12 / 34', cvc: '123', email: 'page@example.com' }),
    redirect: 'manual',
  });
  assert.equal(post.status, 303);
  assert.equal(post.headers.get('location'), `http://127.0.0.1:8787/v1/billing/success?session_id=${session.id}`);
  const paid = await h.stripe.checkout.sessions.retrieve(session.id);
  assert.equal(paid.payment_status, 'paid');
  const again = await fetch(/** @type {string} */ (session.url));
  assert.match(await again.text(), /Payment complete/);
});

test('4000 0000 0000 0002 is declined on the page: the session stays open and nothing is paid', async () => {
  const customer = await h.stripe.customers.create({ email: 'declined@example.com' });
  const session = await h.stripe.checkout.sessions.create(topUpParams(customer.id, 2500));
  const post = await fetch(/** @type {string} */ (session.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ card: '4000 0000 0000 0002' }),
    redirect: 'manual',
  });
  assert.equal(post.status, 402);
  const html = await post.text();
  assert.match(html, /role="alert"/);
  assert.match(html, /Your card was declined\./);

  const after = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
  assert.equal(after.status, 'open');
  assert.equal(after.payment_status, 'unpaid');
  assert.equal(after.invoice, null);
  const pi = /** @type {import('stripe').Stripe.PaymentIntent} */ (after.payment_intent);
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.amount_received, 0);
  assert.equal(pi.last_payment_error?.decline_code, 'generic_decline');
  assert.equal((await h.stripe.customers.listPaymentMethods(customer.id)).data.length, 0, 'a declined card is not saved');

  const [failed] = await h.receiver.waitFor((e) => e.type === 'payment_intent.payment_failed' && e.data.object.id === pi.id);
  assert.equal(failed.event.data.object.last_payment_error.code, 'card_declined');

  // The customer tries again with a good card: same PaymentIntent, now paid.
  const retry = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card: '4242424242424242' } });
  assert.equal(retry.status, 200);
  assert.equal(retry.json.payment_intent.id, pi.id);
  assert.equal(retry.json.payment_intent.status, 'succeeded');
  const completions = await h.receiver.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === session.id);
  assert.equal(completions.length, 1);
  assert.equal(completions[0]?.event.data.object.payment_status, 'paid');
});

test('the JSON shortcut reports a decline as a card_error and an unknown card as incorrect_number', async () => {
  const customer = await h.stripe.customers.create({ email: 'json@example.com' });
  const session = await h.stripe.checkout.sessions.create(topUpParams(customer.id, 2500));
  const declined = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card: '4000000000000002' } });
  assert.equal(declined.status, 402);
  assert.deepEqual(
    { type: declined.json.error.type, code: declined.json.error.code, decline_code: declined.json.error.decline_code },
    { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' },
  );
  assert.equal(declined.json.checkout_session.status, 'open');
  const typo = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card: '4242 4242 4242 4241' } });
  assert.equal(typo.status, 402);
  assert.equal(typo.json.error.code, 'incorrect_number');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(
    h.receiver.received.filter((d) => d.event.type === 'checkout.session.completed' && d.event.data.object.id === session.id).length,
    0,
  );
});

test('expire: the session ends, checkout.session.expired is sent, and it can no longer be paid', async () => {
  const customer = await h.stripe.customers.create({ email: 'expire@example.com' });
  const session = await h.stripe.checkout.sessions.create(topUpParams(customer.id, 2500));
  const expired = await h.stripe.checkout.sessions.expire(session.id);
  assert.equal(expired.status, 'expired');
  assert.equal(expired.payment_status, 'unpaid');
  assert.equal(expired.url, null);

  const [delivery] = await h.receiver.waitFor(eventsFor(session.id));
  assert.equal(delivery.event.type, 'checkout.session.expired');
  assert.equal(delivery.event.data.object.metadata.deposit_id, 'dep_1');
  h.stripe.webhooks.constructEvent(delivery.body, /** @type {string} */ (delivery.headers['stripe-signature']), WEBHOOK_SECRET);

  await assert.rejects(h.stripe.checkout.sessions.expire(session.id), (/** @type {any} */ err) => {
    assert.equal(err.statusCode, 400);
    assert.match(err.message, /status of "expired"/);
    return true;
  });
  const pay = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card: '4242424242424242' } });
  assert.equal(pay.status, 400);
  const page = await fetch(`${h.emulator.url}/c/pay/${session.id}`);
  assert.equal(page.status, 410);
  assert.match(await page.text(), /expired/);
});

test('a paid session cannot be expired', async () => {
  const { session } = await h.paidTopUp();
  await assert.rejects(h.stripe.checkout.sessions.expire(session.id), (/** @type {any} */ err) => {
    assert.equal(err.statusCode, 400);
    assert.match(err.message, /status of "complete"/);
    return true;
  });
});

test('session parameters are validated as Stripe does', async () => {
  const customer = await h.stripe.customers.create({ email: 'v@example.com' });
  const base = topUpParams(customer.id, 2500);
  /** @param {any} params @param {string} param */
  const rejects = (params, param) =>
    assert.rejects(h.stripe.checkout.sessions.create(params), (/** @type {any} */ err) => {
      assert.equal(err.statusCode, 400, err.message);
      assert.equal(err.param, param);
      return true;
    });
  await rejects({ ...base, line_items: [{ price_data: { currency: 'usd', unit_amount: 2500, product_data: { name: 'x' } } }] }, 'line_items[0][quantity]');
  await rejects({ ...base, customer_creation: 'always' }, 'customer_creation');
  await rejects({ ...base, customer: 'cus_missing' }, 'customer');
  await rejects({ ...base, line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 20, product_data: { name: 'x' } } }] }, 'line_items');
  await rejects({ ...base, expires_at: Math.floor(Date.now() / 1000) + 60 }, 'expires_at');
  await rejects({ ...base, mode: 'subscription' }, 'mode');
  const ok = await h.stripe.checkout.sessions.create({ ...base, expires_at: Math.floor(Date.now() / 1000) + 3600 });
  assert.equal(ok.status, 'open');
});

test('expand[]=line_items and a raw curl-style request with expand[] work on retrieve', async () => {
  const customer = await h.stripe.customers.create({ email: 'expand@example.com' });
  const session = await h.stripe.checkout.sessions.create(topUpParams(customer.id, 1234));
  const withItems = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['line_items', 'customer'] });
  assert.equal(withItems.line_items?.data[0]?.amount_total, 1234);
  assert.equal(/** @type {any} */ (withItems.customer).email, 'expand@example.com');
  const raw = await h.call(`/v1/checkout/sessions/${session.id}?expand[]=customer`);
  assert.equal(raw.status, 200);
  assert.equal(raw.json.customer.object, 'customer');
  const bad = await h.call(`/v1/checkout/sessions/${session.id}?expand[]=nonsense`);
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /cannot be expanded \(nonsense\)/);
});

test('GET /v1/checkout/sessions?payment_intent= finds the session that made a payment', async () => {
  const { startEmulator } = await import('../server.mjs');
  const emulator = await startEmulator({ port: 0, webhookUrl: 'http://127.0.0.1:9/unused', webhookSecret: 'whsec_list' });
  try {
    const H = { authorization: 'Bearer sk_test_list', 'content-type': 'application/x-www-form-urlencoded' };
    const session = await (await fetch(`${emulator.url}/v1/checkout/sessions`, { method: 'POST', headers: H, body: 'mode=payment&line_items[0][quantity]=1&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=900&line_items[0][price_data][product_data][name]=x&success_url=http://x/s' })).json();
    await fetch(`${emulator.url}/__emulator/checkout/${session.id}/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ card: '4242424242424242' }) });
    const paid = await (await fetch(`${emulator.url}/v1/checkout/sessions/${session.id}`, { headers: H })).json();
    const found = await (await fetch(`${emulator.url}/v1/checkout/sessions?payment_intent=${paid.payment_intent}`, { headers: H })).json();
    assert.deepEqual(found.data.map((s) => s.id), [session.id]);
    const none = await (await fetch(`${emulator.url}/v1/checkout/sessions?payment_intent=pi_other`, { headers: H })).json();
    assert.equal(none.data.length, 0);
  } finally {
    await emulator.close();
  }
});
