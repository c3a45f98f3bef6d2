// Disputes (chargebacks) on a charge. Stripe creates them when a cardholder disputes a payment; the
// emulator does when told to (control routes: /__emulator/charges/:id/dispute and
// /__emulator/disputes/:id/{withdraw,reinstate,close}). Each step changes the Dispute as Stripe
// does and emits Stripe's event: charge.dispute.created, charge.dispute.funds_withdrawn,
// charge.dispute.funds_reinstated, charge.dispute.closed. The API reads them: GET /v1/disputes
// (filters `charge`, `payment_intent`), GET /v1/disputes/:id, and POST /v1/disputes/:id/close
// (accepting the dispute: it is lost), POST /v1/disputes/:id (evidence; Stripe's test-mode
// convention closes it: `evidence[uncategorized_text]=winning_evidence` → won,
// `losing_evidence` → lost). The …0259 test card opens one by itself (payments.mjs).
import { nowSeconds } from '../lib/clock.mjs';
import { invalidRequest, noSuch } from '../lib/errors.mjs';
import { newId } from '../lib/ids.mjs';
import { listObject } from '../lib/list.mjs';
import * as p from '../lib/params.mjs';
import { insert } from '../lib/store.mjs';
import { getCharge } from './charges.mjs';

/** Stripe's dispute fee, in cents, on each withdrawal (given back on a reinstatement). */
const DISPUTE_FEE_CENTS = 1500;
const REASONS = ['bank_cannot_process', 'credit_not_processed', 'customer_initiated', 'debit_not_authorized', 'duplicate', 'fraudulent', 'general', 'incorrect_account_details', 'insufficient_funds', 'product_not_received', 'product_unacceptable', 'subscription_canceled', 'unrecognized'];

/**
 * Opens a dispute on a succeeded charge: `needs_response`, and its funds withdrawn at once unless
 * `withdraw` is false (then it waits for /withdraw); an `inquiry` is a `warning_needs_response`
 * dispute, which withdraws nothing.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} chargeId
 * @param {{ amount?: number, reason?: string, withdraw?: boolean, inquiry?: boolean }} options
 */
export function openDispute(ctx, chargeId, options = {}) {
  const charge = getCharge(ctx, chargeId, 'charge');
  if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} did not succeed; it cannot be disputed.`, { param: 'charge' });
  const amount = options.amount ?? charge.amount_captured - charge.amount_refunded;
  if (!Number.isInteger(amount) || amount < 1 || amount > charge.amount_captured) throw invalidRequest('amount must be an integer between 1 and the amount captured.', { param: 'amount' });
  const reason = options.reason ?? 'fraudulent';
  if (!REASONS.includes(reason)) throw invalidRequest(`Invalid reason: ${reason}`, { param: 'reason' });
  const created = nowSeconds();
  const dispute = insert(ctx.store, 'disputes', {
    id: newId('dp_'),
    object: 'dispute',
    amount,
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    evidence: { customer_name: null, customer_email_address: null, product_description: null, uncategorized_text: null },
    evidence_details: { due_by: created + 21 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    payment_method_details: { card: { brand: charge.payment_method_details?.card?.brand ?? 'visa', case_type: options.inquiry ? 'inquiry' : 'chargeback', network_reason_code: '10.4' }, type: 'card' },
    reason,
    status: options.inquiry ? 'warning_needs_response' : 'needs_response',
  });
  charge.disputed = true;
  ctx.emit('charge.dispute.created', dispute);
  if (!options.inquiry && options.withdraw !== false) withdrawDisputeFunds(ctx, dispute);
  return dispute;
}

/**
 * The dispute's amount (and Stripe's fee) leaves the balance: a negative balance transaction.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {Record<string, any>} dispute
 */
export function withdrawDisputeFunds(ctx, dispute) {
  if (dispute.status.startsWith('warning_')) throw invalidRequest('An inquiry withdraws no funds.');
  if (hasMovement(dispute, 'dispute')) throw invalidRequest(`The funds of dispute ${dispute.id} were already withdrawn.`);
  dispute.balance_transactions.push(balanceTransaction(dispute, -dispute.amount, -DISPUTE_FEE_CENTS, 'dispute', `Chargeback withdrawal for ${dispute.charge}`));
  ctx.emit('charge.dispute.funds_withdrawn', dispute);
  return dispute;
}

/**
 * The dispute's amount comes back (the dispute is being won): a positive balance transaction.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {Record<string, any>} dispute
 */
export function reinstateDisputeFunds(ctx, dispute) {
  if (!hasMovement(dispute, 'dispute')) throw invalidRequest(`The funds of dispute ${dispute.id} were not withdrawn.`);
  if (hasMovement(dispute, 'dispute_reversal')) throw invalidRequest(`The funds of dispute ${dispute.id} were already reinstated.`);
  dispute.balance_transactions.push(balanceTransaction(dispute, dispute.amount, DISPUTE_FEE_CENTS, 'dispute_reversal', `Chargeback reversal for ${dispute.charge}`));
  ctx.emit('charge.dispute.funds_reinstated', dispute);
  return dispute;
}

/**
 * Closes a dispute: `won` reinstates withdrawn funds first (as Stripe does), `lost` keeps them; an
 * inquiry closes as `warning_closed`.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {Record<string, any>} dispute
 * @param {'won' | 'lost'} outcome
 */
export function closeDispute(ctx, dispute, outcome) {
  if (['won', 'lost', 'warning_closed'].includes(dispute.status)) throw invalidRequest(`Dispute ${dispute.id} is already closed (${dispute.status}).`);
  if (dispute.status.startsWith('warning_')) {
    dispute.status = 'warning_closed';
  } else {
    if (outcome === 'won' && hasMovement(dispute, 'dispute') && !hasMovement(dispute, 'dispute_reversal')) reinstateDisputeFunds(ctx, dispute);
    if (outcome === 'lost' && !hasMovement(dispute, 'dispute')) withdrawDisputeFunds(ctx, dispute);
    dispute.status = outcome;
  }
  ctx.emit('charge.dispute.closed', dispute);
  return dispute;
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 */
export function getDispute(ctx, id) {
  const dispute = ctx.store.objects.disputes.get(id);
  if (!dispute) throw noSuch('dispute', id);
  return dispute;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveDispute(request, ctx) {
  return getDispute(ctx, /** @type {string} */ (request.pathParams.id));
}

/** GET /v1/disputes with optional `charge` or `payment_intent`. @type {import('../lib/context.mjs').ApiHandler} */
export function listDisputes(request, ctx) {
  const charge = p.string(request.params, 'charge');
  const paymentIntent = p.string(request.params, 'payment_intent');
  const disputes = [...ctx.store.objects.disputes.values()].filter((d) => (!charge || d.charge === charge) && (!paymentIntent || d.payment_intent === paymentIntent));
  return listObject(disputes, '/v1/disputes', request.params);
}

/** POST /v1/disputes/:id/close: the merchant accepts the dispute, which is then lost. @type {import('../lib/context.mjs').ApiHandler} */
export function acceptDispute(request, ctx) {
  return closeDispute(ctx, getDispute(ctx, /** @type {string} */ (request.pathParams.id)), 'lost');
}

const EVIDENCE_FIELDS = ['access_activity_log', 'billing_address', 'cancellation_policy_disclosure', 'cancellation_rebuttal', 'customer_communication', 'customer_email_address', 'customer_name', 'customer_purchase_ip', 'duplicate_charge_explanation', 'product_description', 'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date', 'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_tracking_number', 'uncategorized_text'];

/**
 * POST /v1/disputes/:id: `evidence[...]`, `metadata`, `submit` (default true). Submitted evidence
 * puts the dispute `under_review` (an inquiry stays `warning_under_review`) and emits
 * charge.dispute.updated; in test mode `uncategorized_text` `winning_evidence` / `losing_evidence`
 * then closes it won / lost at once, as Stripe's test mode does (it takes Stripe a few minutes).
 * @type {import('../lib/context.mjs').ApiHandler}
 */
export function updateDispute(request, ctx) {
  const dispute = getDispute(ctx, /** @type {string} */ (request.pathParams.id));
  if (['won', 'lost', 'warning_closed'].includes(dispute.status)) throw invalidRequest(`This dispute is already closed (${dispute.status}); it cannot be updated.`, { code: 'charge_dispute_closed' });
  const evidence = p.object(request.params, 'evidence');
  for (const [key, value] of Object.entries(evidence)) {
    if (!EVIDENCE_FIELDS.includes(key)) throw invalidRequest(`Received unknown parameter: evidence[${key}]`, { param: `evidence[${key}]` });
    if (typeof value !== 'string') throw invalidRequest('Invalid string: {...}', { param: `evidence[${key}]` });
    dispute.evidence[key] = value;
  }
  dispute.metadata = p.metadata(request.params, dispute.metadata);
  const submit = p.boolean(request.params, 'submit') ?? true;
  if (Object.keys(evidence).length > 0) dispute.evidence_details.has_evidence = true;
  if (!submit) {
    ctx.emit('charge.dispute.updated', dispute, request.info);
    return dispute;
  }
  dispute.evidence_details.submission_count += 1;
  dispute.status = dispute.status.startsWith('warning_') ? 'warning_under_review' : 'under_review';
  ctx.emit('charge.dispute.updated', dispute, request.info);
  const text = dispute.evidence.uncategorized_text;
  if (text === 'winning_evidence') closeDispute(ctx, dispute, 'won');
  else if (text === 'losing_evidence') closeDispute(ctx, dispute, 'lost');
  return dispute;
}

/**
 * @param {Record<string, any>} dispute
 * @param {string} category
 */
const hasMovement = (dispute, category) => dispute.balance_transactions.some((/** @type {any} */ bt) => bt.reporting_category === category);

/**
 * @param {Record<string, any>} dispute
 * @param {number} amount
 * @param {number} fee
 * @param {'dispute' | 'dispute_reversal'} category
 * @param {string} description
 */
function balanceTransaction(dispute, amount, fee, category, description) {
  const created = nowSeconds();
  return {
    id: newId('txn_'),
    object: 'balance_transaction',
    amount,
    available_on: created,
    created,
    currency: dispute.currency,
    description,
    exchange_rate: null,
    fee: Math.abs(fee),
    fee_details: [{ amount: Math.abs(fee), application: null, currency: dispute.currency, description: 'Dispute fee', type: 'stripe_fee' }],
    net: amount + fee,
    reporting_category: category,
    source: dispute.id,
    status: 'available',
    type: 'adjustment',
  };
}
