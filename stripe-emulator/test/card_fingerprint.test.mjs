// Card fingerprints as Stripe gives them: the same card number has the same fingerprint on every
// PaymentMethod, for every customer and after a restart; another number has another one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cardFingerprint } from '../resources/payment_methods.mjs';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** A card saved on a customer through setup-mode Checkout, as the dashboard saves one. */
async function saveCard(customer, card) {
  const session = await h.stripe.checkout.sessions.create({
    mode: 'setup',
    customer,
    currency: 'usd',
    success_url: 'http://127.0.0.1:9/dashboard?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://127.0.0.1:9/dashboard',
  });
  const paid = await h.call(`/__emulator/checkout/${session.id}/pay`, { json: { card } });
  assert.equal(paid.status, 200);
  const done = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['setup_intent.payment_method'] });
  return /** @type {any} */ (done.setup_intent).payment_method;
}

test('the same card number saved twice has one fingerprint, derived from the number alone', async () => {
  const customer = await h.stripe.customers.create({ name: 'Twice' });
  const first = await saveCard(customer.id, '4242424242424242');
  const second = await saveCard(customer.id, '4242 4242 4242 4242');
  const other = await saveCard(customer.id, '5555555555554444');
  assert.notEqual(first.id, second.id);
  assert.equal(first.card.fingerprint, second.card.fingerprint);
  assert.notEqual(first.card.fingerprint, other.card.fingerprint);
  // Not remembered by this process: computed, so a restarted emulator gives the same one.
  assert.equal(first.card.fingerprint, cardFingerprint('4242424242424242'));
  assert.match(first.card.fingerprint, /^[A-Za-z0-9]{16}$/);
  const listed = await h.stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
  assert.equal(new Set(listed.data.map((pm) => pm.card?.fingerprint)).size, 2);
});
