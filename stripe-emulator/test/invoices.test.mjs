// Invoices created through the API: a draft with an invoice item, finalized, and paid out of band
// (what burnrate does after an off-session payment) or with a saved card; idempotent creates.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

test('draft → item → finalize → paid out of band: numbered, with a hosted page, and invoice events', async () => {
  const customer = await h.stripe.customers.create({ email: 'inv@example.com' });
  const draft = await h.stripe.invoices.create(
    { customer: customer.id, auto_advance: false, pending_invoice_items_behavior: 'exclude', description: 'Credits', metadata: { transactionKey: 'k1' } },
    { idempotencyKey: 'inv-k1' },
  );
  assert.deepEqual({ status: draft.status, number: draft.number, hosted: draft.hosted_invoice_url, total: draft.total }, { status: 'draft', number: null, hosted: null, total: 0 });
  const again = await h.stripe.invoices.create(
    { customer: customer.id, auto_advance: false, pending_invoice_items_behavior: 'exclude', description: 'Credits', metadata: { transactionKey: 'k1' } },
    { idempotencyKey: 'inv-k1' },
  );
  assert.equal(again.id, draft.id, 'the same idempotency key makes no second invoice');

  await h.stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 1234, currency: 'usd', description: 'burnrate credits' });
  const finalized = await h.stripe.invoices.finalizeInvoice(draft.id);
  assert.equal(finalized.status, 'open');
  assert.equal(finalized.total, 1234);
  assert.match(String(finalized.number), /^[A-Z0-9]+-0001$/);
  assert.equal(finalized.hosted_invoice_url, `${h.emulator.url}/invoices/${draft.id}`);
  // Items cannot be added once finalized; finalizing twice is refused.
  await assert.rejects(h.stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 1, currency: 'usd' }), /not a draft/);
  await assert.rejects(h.stripe.invoices.finalizeInvoice(draft.id), /already finalized/);

  const paid = await h.stripe.invoices.pay(draft.id, { paid_out_of_band: true });
  assert.deepEqual({ status: paid.status, amount_paid: paid.amount_paid, amount_remaining: paid.amount_remaining, oob: /** @type {any} */ (paid).paid_out_of_band }, {
    status: 'paid',
    amount_paid: 1234,
    amount_remaining: 0,
    oob: true,
  });
  assert.ok(paid.status_transitions.paid_at);
  await assert.rejects(h.stripe.invoices.pay(draft.id, { paid_out_of_band: true }), /already paid/);
  // No money moved at Stripe: no PaymentIntent for this customer.
  assert.equal((await h.stripe.paymentIntents.list({ customer: customer.id })).data.length, 0);

  const page = await h.call(`/invoices/${draft.id}`, { auth: false });
  assert.equal(page.status, 200);
  assert.match(page.text, /Paid/);
  assert.match(page.text, /\$12\.34/);
  const types = (await h.stripe.events.list({ type: 'invoice.*', limit: 100 })).data.filter((e) => /** @type {any} */ (e.data.object).id === draft.id).map((e) => e.type);
  assert.deepEqual(types.reverse(), ['invoice.created', 'invoice.finalized', 'invoice.paid']);
  assert.deepEqual((await h.stripe.invoices.list({ customer: customer.id })).data.map((i) => i.id), [draft.id]);
});

test('a draft has no hosted page; paying with the saved card charges it (a decline is a 402 and leaves it open)', async () => {
  const { customer, pay } = await h.paidTopUp();
  const pmId = pay.json.payment_intent.payment_method;
  const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'exclude' });
  assert.equal((await h.call(`/invoices/${draft.id}`, { auth: false })).status, 404);
  await h.stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id, amount: 700, currency: 'usd' });
  const paid = await h.stripe.invoices.pay(draft.id, { payment_method: pmId, off_session: true });
  assert.equal(paid.status, 'paid');
  const piId = /** @type {any} */ (paid).payments.data[0].payment.payment_intent;
  const pi = await h.stripe.paymentIntents.retrieve(piId);
  assert.deepEqual({ status: pi.status, amount: pi.amount, pm: pi.payment_method }, { status: 'succeeded', amount: 700, pm: pmId });

  await h.call(`/__emulator/payment_methods/${pmId}/outcome`, { json: { outcome: 'decline' } });
  const other = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'exclude' });
  await h.stripe.invoiceItems.create({ customer: customer.id, invoice: other.id, amount: 800, currency: 'usd' });
  await assert.rejects(h.stripe.invoices.pay(other.id, { payment_method: pmId, off_session: true }), (/** @type {any} */ err) => err.type === 'StripeCardError');
  assert.equal((await h.stripe.invoices.retrieve(other.id)).status, 'open');
});
