// Disputes opened through the emulator routes, read through Stripe's API, and the events list's
// `created` filter and paging (what burnrate's reconciliation replays).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

test('a chargeback withdraws its funds, is won, and gives them back, with the real event types in order', async () => {
  const { pay } = await h.paidTopUp({ amount: 2500 });
  const pi = pay.json.payment_intent;
  const opened = await h.call(`/__emulator/charges/${pi.latest_charge}/dispute`, { json: { amount: 2000 } });
  assert.equal(opened.status, 200);
  const id = opened.json.id;
  assert.match(id, /^dp_/);

  const dispute = await h.stripe.disputes.retrieve(id);
  assert.deepEqual(
    { object: dispute.object, amount: dispute.amount, charge: dispute.charge, payment_intent: dispute.payment_intent, status: dispute.status, reason: dispute.reason },
    { object: 'dispute', amount: 2000, charge: pi.latest_charge, payment_intent: pi.id, status: 'needs_response', reason: 'fraudulent' },
  );
  assert.deepEqual(dispute.balance_transactions.map((bt) => [bt.amount, bt.fee, bt.reporting_category]), [[-2000, 1500, 'dispute']]);
  assert.equal((await h.stripe.charges.retrieve(pi.latest_charge)).disputed, true);
  // A second withdrawal is refused.
  assert.equal((await h.call(`/__emulator/disputes/${id}/withdraw`, { method: 'POST' })).status, 400);

  const closed = await h.call(`/__emulator/disputes/${id}/close`, { json: { status: 'won' } });
  assert.equal(closed.json.status, 'won');
  assert.deepEqual(closed.json.balance_transactions.map((/** @type {any} */ bt) => [bt.amount, bt.reporting_category]), [
    [-2000, 'dispute'],
    [2000, 'dispute_reversal'],
  ]);
  const types = (await h.stripe.events.list({ type: 'charge.dispute.*', limit: 100 })).data.filter((e) => /** @type {any} */ (e.data.object).id === id).map((e) => e.type);
  assert.deepEqual(types.reverse(), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.funds_reinstated', 'charge.dispute.closed']);
  assert.deepEqual((await h.stripe.disputes.list({ payment_intent: pi.id })).data.map((d) => d.id), [id]);
});

test('a dispute opened without withdrawal, withdrawn later, and accepted through the API is lost', async () => {
  const { pay } = await h.paidTopUp({ amount: 1000 });
  const opened = await h.call(`/__emulator/charges/${pay.json.payment_intent.latest_charge}/dispute`, { json: { withdraw: false } });
  assert.deepEqual(opened.json.balance_transactions, []);
  assert.equal(opened.json.amount, 1000);
  assert.equal((await h.call(`/__emulator/disputes/${opened.json.id}/reinstate`, { method: 'POST' })).status, 400);
  assert.equal((await h.call(`/__emulator/disputes/${opened.json.id}/withdraw`, { method: 'POST' })).json.balance_transactions.length, 1);
  const lost = await h.stripe.disputes.close(opened.json.id);
  assert.equal(lost.status, 'lost');
  assert.equal(lost.balance_transactions.length, 1);
});

test('the events list filters by created and pages with starting_after', async () => {
  const all = (await h.stripe.events.list({ limit: 100 })).data;
  assert.ok(all.length > 3);
  const newest = all[0].created;
  assert.deepEqual((await h.stripe.events.list({ created: { gt: newest }, limit: 100 })).data, []);
  assert.equal((await h.stripe.events.list({ created: { gte: newest - 3600 }, limit: 100 })).data.length, all.length);
  const seen = [];
  for await (const event of h.stripe.events.list({ created: { gte: 0 }, limit: 2 })) seen.push(event.id);
  assert.deepEqual(seen, all.map((e) => e.id));
});

test("a customer's PaymentIntents are listed newest first, with the charge's refunds expandable", async () => {
  const { customer, pay } = await h.paidTopUp({ amount: 1200 });
  await h.stripe.refunds.create({ payment_intent: pay.json.payment_intent.id, amount: 200 });
  const listed = await h.stripe.paymentIntents.list({ customer: customer.id, created: { gte: 0 }, expand: ['data.latest_charge.refunds'] });
  assert.deepEqual(listed.data.map((pi) => pi.id), [pay.json.payment_intent.id]);
  const charge = /** @type {any} */ (listed.data[0]?.latest_charge);
  assert.deepEqual([charge.amount_refunded, charge.refunds.data.map((/** @type {any} */ r) => r.amount)], [200, [200]]);
});
