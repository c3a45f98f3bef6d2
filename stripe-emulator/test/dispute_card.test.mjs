// Stripe's dispute test card (4000 0000 0000 0259) and closing a dispute with test evidence.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** @param {string} id */
const disputeEvents = async (id) =>
  (await h.stripe.events.list({ type: 'charge.dispute.*', limit: 100 })).data
    .filter((e) => /** @type {any} */ (e.data.object).id === id)
    .map((e) => e.type)
    .reverse();

test('a payment with the 0259 card succeeds, then is disputed with its funds withdrawn', async () => {
  const { pay } = await h.paidTopUp({ card: '4000 0000 0000 0259', amount: 3000 });
  assert.equal(pay.status, 200);
  const pi = pay.json.payment_intent;
  assert.equal(pi.status, 'succeeded');
  const [dispute] = (await h.stripe.disputes.list({ payment_intent: pi.id })).data;
  assert.ok(dispute, 'the charge was disputed');
  assert.deepEqual({ amount: dispute.amount, reason: dispute.reason, status: dispute.status, charge: dispute.charge }, {
    amount: 3000,
    reason: 'fraudulent',
    status: 'needs_response',
    charge: pi.latest_charge,
  });
  assert.deepEqual(dispute.balance_transactions.map((bt) => [bt.amount, bt.reporting_category]), [[-3000, 'dispute']]);
  assert.deepEqual(await disputeEvents(dispute.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
  await h.receiver.waitFor((e) => e.type === 'charge.dispute.funds_withdrawn' && e.data.object.id === dispute.id);
  // Off-session with the saved 0259 card: disputed too (pm_card_createDispute is the same card).
  const attached = await h.stripe.paymentMethods.attach('pm_card_createDispute', { customer: (await h.stripe.customers.create({})).id });
  const offSession = await h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd', customer: String(attached.customer), payment_method: attached.id, off_session: true, confirm: true });
  assert.equal(offSession.status, 'succeeded');
  assert.equal((await h.stripe.disputes.list({ payment_intent: offSession.id })).data.length, 1);
});

test('winning_evidence wins the dispute (funds reinstated), losing_evidence loses it', async () => {
  const first = (await h.paidTopUp({ card: '4000000000000259', amount: 2000 })).pay.json.payment_intent;
  const [toWin] = (await h.stripe.disputes.list({ payment_intent: first.id })).data;
  const won = await h.stripe.disputes.update(toWin.id, { evidence: { uncategorized_text: 'winning_evidence' } });
  assert.equal(won.status, 'won');
  assert.equal(won.evidence_details.submission_count, 1);
  assert.equal(won.evidence.uncategorized_text, 'winning_evidence');
  assert.deepEqual(won.balance_transactions.map((bt) => [bt.amount, bt.reporting_category]), [
    [-2000, 'dispute'],
    [2000, 'dispute_reversal'],
  ]);
  assert.deepEqual(await disputeEvents(toWin.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn', 'charge.dispute.updated', 'charge.dispute.funds_reinstated', 'charge.dispute.closed']);
  await assert.rejects(h.stripe.disputes.update(toWin.id, { evidence: { uncategorized_text: 'more' } }), /already closed/);

  const second = (await h.paidTopUp({ card: '4000000000000259', amount: 1500 })).pay.json.payment_intent;
  const [toLose] = (await h.stripe.disputes.list({ payment_intent: second.id })).data;
  const lost = await h.stripe.disputes.update(toLose.id, { evidence: { uncategorized_text: 'losing_evidence' } });
  assert.equal(lost.status, 'lost');
  assert.deepEqual(lost.balance_transactions.map((bt) => bt.reporting_category), ['dispute']);

  // Other evidence only puts it under review; submit=false keeps it as it was.
  const third = (await h.paidTopUp({ card: '4000000000000259', amount: 1000 })).pay.json.payment_intent;
  const [open] = (await h.stripe.disputes.list({ payment_intent: third.id })).data;
  const staged = await h.stripe.disputes.update(open.id, { evidence: { product_description: 'credits' }, submit: false });
  assert.deepEqual({ status: staged.status, has: staged.evidence_details.has_evidence, count: staged.evidence_details.submission_count }, { status: 'needs_response', has: true, count: 0 });
  assert.equal((await h.stripe.disputes.update(open.id, { evidence: { uncategorized_text: 'see attached' } })).status, 'under_review');
});
