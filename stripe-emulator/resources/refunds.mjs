// Refunds: POST /v1/refunds with payment_intent or charge and an optional amount (default: what
// is left). Updates the charge (amount_refunded, refunded) and emits charge.refunded and
// refund.created (sent for every refund since API version 2024-10-28.acacia). A refund starts
// `succeeded`, or `pending` for Stripe's pending-refund card (…7726); settleRefund moves it on
// later, as Stripe does some time after: pending → succeeded, or pending/succeeded → failed (the
// refund-fail card …5126 does that), each change sending charge.refund.updated and refund.updated,
// a failure also refund.failed. A failed refund no longer counts in the charge's amount_refunded.
import { nowSeconds } from '../lib/clock.mjs';
import { invalidRequest, noSuch } from '../lib/errors.mjs';
import { newId } from '../lib/ids.mjs';
import { listObject } from '../lib/list.mjs';
import { formatAmount } from '../lib/money.mjs';
import * as p from '../lib/params.mjs';
import { insert } from '../lib/store.mjs';
import { getCharge } from './charges.mjs';

/** @type {import('../lib/context.mjs').ApiHandler} */
export function createRefund(request, ctx) {
  const params = request.params;
  const piId = p.string(params, 'payment_intent');
  const chargeId = p.string(params, 'charge');
  if (piId && chargeId) throw invalidRequest('You may only specify one of these parameters: charge, payment_intent.', { param: 'charge' });
  if (!piId && !chargeId) throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', { code: 'parameter_missing' });

  let charge;
  if (piId) {
    const pi = ctx.store.objects.payment_intents.get(piId);
    if (!pi) throw noSuch('payment_intent', piId, 'payment_intent');
    if (pi.status !== 'succeeded' || !pi.latest_charge) {
      throw invalidRequest(`This PaymentIntent (${piId}) does not have a successful charge to refund.`, { param: 'payment_intent' });
    }
    charge = getCharge(ctx, pi.latest_charge);
  } else {
    charge = getCharge(ctx, /** @type {string} */ (chargeId), 'charge');
    if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} has not been captured or has failed; it cannot be refunded.`, { param: 'charge' });
  }

  const remaining = charge.amount_captured - charge.amount_refunded;
  if (remaining <= 0) {
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
  }
  const amount = p.integer(params, 'amount', { min: 1 }) ?? remaining;
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      { param: 'amount', code: 'amount_too_large' },
    );
  }
  const reason = p.oneOf(params, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer']);
  const pending = ctx.store.cards.get(charge.payment_method)?.refunds === 'pending';

  const refund = insert(ctx.store, 'refunds', {
    id: newId('re_'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: charge.id,
    created: nowSeconds(),
    currency: charge.currency,
    destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    metadata: p.metadata(params),
    payment_intent: charge.payment_intent,
    reason: reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: pending ? 'pending' : 'succeeded',
    ...(pending ? { pending_reason: 'processing' } : {}),
    transfer_reversal: null,
  });
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount_captured;
  ctx.emit('charge.refunded', charge, request.info);
  ctx.emit('refund.created', refund, request.info);
  return refund;
}

/** Statuses a refund can still leave (Stripe's `succeeded` → `failed` included). */
const SETTLEABLE = { succeed: ['pending', 'requires_action'], fail: ['pending', 'requires_action', 'succeeded'] };

/**
 * What Stripe does to a refund some time after it was made: `succeed` (pending → succeeded) or
 * `fail` (pending or succeeded → failed, with `failure_reason`; the funds go back to the balance,
 * so the charge's amount_refunded drops by the refund's amount). Emulator-only (/__emulator).
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 * @param {'succeed' | 'fail'} outcome
 * @param {string} [failureReason] default: expired_or_canceled_card for the refund-fail card, else unknown
 */
export function settleRefund(ctx, id, outcome, failureReason) {
  const refund = ctx.store.objects.refunds.get(id);
  if (!refund) throw noSuch('refund', id);
  if (!SETTLEABLE[outcome].includes(refund.status)) {
    throw invalidRequest(`Refund ${id} is ${refund.status}; it cannot ${outcome === 'succeed' ? 'succeed' : 'fail'} now.`, { code: 'refund_unexpected_state' });
  }
  const charge = getCharge(ctx, refund.charge);
  delete refund.pending_reason;
  if (outcome === 'succeed') {
    refund.status = 'succeeded';
  } else {
    refund.status = 'failed';
    refund.failure_reason = failureReason ?? (ctx.store.cards.get(charge.payment_method)?.refunds === 'fails' ? 'expired_or_canceled_card' : 'unknown');
    refund.failure_balance_transaction = null;
    charge.amount_refunded -= refund.amount;
    charge.refunded = charge.amount_refunded >= charge.amount_captured;
  }
  ctx.emit('charge.refund.updated', refund);
  ctx.emit('refund.updated', refund);
  if (outcome === 'fail') ctx.emit('refund.failed', refund);
  return refund;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveRefund(request, ctx) {
  const id = /** @type {string} */ (request.pathParams.id);
  const refund = ctx.store.objects.refunds.get(id);
  if (!refund) throw noSuch('refund', id);
  return refund;
}

/** GET /v1/refunds with optional `charge` or `payment_intent` filters (listObject orders newest first, as Stripe does). @type {import('../lib/context.mjs').ApiHandler} */
export function listRefunds(request, ctx) {
  const charge = p.string(request.params, 'charge');
  const paymentIntent = p.string(request.params, 'payment_intent');
  const refunds = [...ctx.store.objects.refunds.values()]
    .filter((r) => (!charge || r.charge === charge) && (!paymentIntent || r.payment_intent === paymentIntent));
  return listObject(refunds, '/v1/refunds', request.params);
}
