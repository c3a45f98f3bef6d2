// Saving cards: Checkout in setup mode (a SetupIntent, nothing charged), the customer's cards,
// the default card, detaching; and the receipt every paid charge links to.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** @param {string} customer */
const setupParams = (customer) => ({
  mode: /** @type {const} */ ('setup'),
  customer,
  currency: 'usd',
  metadata: { workspaceId: 'ws_1' },
  setup_intent_data: { metadata: { workspaceId: 'ws_1' } },
  success_url: 'http://127.0.0.1:9/dashboard?session_id={CHECKOUT_SESSION_ID}',
  cancel_url: 'http://127.0.0.1:9/dashboard',
});

test('a setup-mode session saves the card on the customer through a SetupIntent, charging nothing', async () => {
  const customer = await h.stripe.customers.create({ name: 'Setup' });
  const session = await h.stripe.checkout.sessions.create(setupParams(customer.id));
  assert.equal(session.mode, 'setup');
  assert.equal(session.payment_status, 'no_payment_required');
  assert.equal(session.amount_total, null);
  assert.match(/** @type {string} */ (session.setup_intent), /^seti_/);
  assert.equal(session.payment_intent, null);

  const page = await h.call(`/c/pay/${session.id}`, { auth: false });
  assert.equal(page.status, 200);
  assert.match(page.text, /Save card/);

  const paid = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card: '4242424242424242' } });
  assert.equal(paid.status, 200);
  assert.equal(paid.json.status, 'set_up');
  assert.match(paid.json.redirect_url, new RegExp(`session_id=${session.id}$`));

  const completed = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['setup_intent.payment_method'] });
  assert.equal(completed.status, 'complete');
  const seti = /** @type {import('stripe').Stripe.SetupIntent} */ (completed.setup_intent);
  assert.equal(seti.status, 'succeeded');
  assert.deepEqual(seti.metadata, { workspaceId: 'ws_1' });
  const pm = /** @type {import('stripe').Stripe.PaymentMethod} */ (seti.payment_method);
  assert.equal(pm.customer, customer.id);
  assert.equal(pm.card?.last4, '4242');

  const cards = await h.stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
  assert.deepEqual(cards.data.map((c) => c.id), [pm.id]);
  const events = await h.receiver.waitFor((e) => e.type === 'checkout.session.completed' && e.data.object.id === session.id);
  assert.equal(events[0]?.event.data.object.setup_intent, seti.id);
  // Nothing was charged: no PaymentIntent behind the session.
  assert.equal(completed.payment_intent, null);
});

test('a card that declines fails the setup and leaves the session open; setup mode takes no line items', async () => {
  const customer = await h.stripe.customers.create({ name: 'Declined setup' });
  const session = await h.stripe.checkout.sessions.create(setupParams(customer.id));
  const declined = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card: '4000000000000002' } });
  assert.equal(declined.status, 402);
  assert.equal(declined.json.error.code, 'card_declined');
  assert.equal((await h.stripe.checkout.sessions.retrieve(session.id)).status, 'open');
  assert.equal((await h.stripe.customers.listPaymentMethods(customer.id)).data.length, 0);

  await assert.rejects(
    h.stripe.checkout.sessions.create({
      ...setupParams(customer.id),
      // @ts-expect-error line items are refused in setup mode
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'x' } } }],
    }),
    (/** @type {any} */ e) => e.param === 'line_items',
  );
});

test('the default card is the customer invoice_settings.default_payment_method; detaching the default clears it', async () => {
  const customer = await h.stripe.customers.create({ name: 'Two cards' });
  const ids = [];
  for (const card of ['4242424242424242', '5555555555554444']) {
    const session = await h.stripe.checkout.sessions.create(setupParams(customer.id));
    const paid = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card } });
    ids.push(paid.json.setup_intent.payment_method);
  }
  const updated = await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: ids[1] } });
  assert.equal(updated.invoice_settings.default_payment_method, ids[1]);
  await h.stripe.paymentMethods.detach(ids[1]);
  const after = await h.stripe.customers.retrieve(customer.id);
  assert.equal(/** @type {any} */ (after).invoice_settings.default_payment_method, null);
  assert.deepEqual((await h.stripe.customers.listPaymentMethods(customer.id)).data.map((c) => c.id), [ids[0]]);
});

test('a paid charge links to a hosted receipt', async () => {
  const { pay } = await h.paidTopUp({ amount: 1234 });
  const charge = await h.stripe.charges.retrieve(pay.json.payment_intent.latest_charge);
  assert.match(/** @type {string} */ (charge.receipt_url), /\/receipts\/ch_/);
  const page = await fetch(/** @type {string} */ (charge.receipt_url));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /\$12\.34/);
  assert.equal((await fetch(`${h.emulator.url}/receipts/ch_nope`)).status, 404);
});
