// Refunds: POST /v1/refunds with payment_intent or charge and an optional amount (default: what
// is left). Updates the charge (amount_refunded, refunded) and emits charge.refunded.
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
    status: 'succeeded',
    transfer_reversal: null,
  });
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount_captured;
  ctx.emit('charge.refunded', charge, request.info);
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
