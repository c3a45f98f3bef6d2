// Charging a card for a PaymentIntent: the one place where money moves. Used by the
// PaymentIntent API (off-session charges) and by the hosted checkout page.
import { nowSeconds } from '../lib/clock.mjs';
import { docUrl } from '../lib/errors.mjs';
import { newId, randomToken } from '../lib/ids.mjs';
import { insert } from '../lib/store.mjs';
import { openDispute } from './disputes.mjs';

/**
 * @typedef {import('../lib/cards.mjs').Decline} Decline
 * @typedef {import('../lib/cards.mjs').TestCard} TestCard
 * @typedef {import('../lib/store.mjs').StripeObject} StripeObject
 */

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {{ amount: number, currency: string, customer?: string | null, description?: string | null, metadata?: Record<string, string>, setup_future_usage?: string | null, payment_method?: string | null }} fields
 */
export function createPaymentIntent(ctx, fields) {
  const id = newId('pi_');
  return insert(ctx.store, 'payment_intents', {
    id,
    object: 'payment_intent',
    amount: fields.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${randomToken(25)}`,
    confirmation_method: 'automatic',
    created: nowSeconds(),
    currency: fields.currency,
    customer: fields.customer ?? null,
    description: fields.description ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: fields.metadata ?? {},
    next_action: null,
    on_behalf_of: null,
    payment_method: fields.payment_method ?? null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    processing: null,
    receipt_email: null,
    setup_future_usage: fields.setup_future_usage ?? null,
    shipping: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: fields.payment_method ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  });
}

/**
 * What charging this card does now.
 * @param {TestCard} card
 * @param {{ offSession: boolean }} how
 * @returns {Decline | null} null when it pays
 */
export function outcomeOf(card, how) {
  return how.offSession ? card.offSession : card.onSession;
}

/**
 * Charges `pm` for `pi` with the given outcome: records a Charge, moves the PaymentIntent to
 * `succeeded` (saving the card on the customer when setup_future_usage asks for it) or back to
 * `requires_payment_method` with `last_payment_error`, and emits payment_intent.succeeded or
 * payment_intent.payment_failed.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} pi
 * @param {StripeObject} pm
 * @param {Decline | null} decline
 * @param {import('../lib/context.mjs').RequestInfo | null} request
 * @returns {{ ok: true, charge: StripeObject } | { ok: false, charge: StripeObject, error: import('../lib/errors.mjs').StripeErrorBody }}
 */
export function settlePayment(ctx, pi, pm, decline, request) {
  const charge = createCharge(ctx, pi, pm, decline);
  pi.latest_charge = charge.id;
  if (!decline) {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.payment_method = pm.id;
    pi.last_payment_error = null;
    if (pi.setup_future_usage && pi.customer && !pm.customer) pm.customer = pi.customer;
    ctx.emit('payment_intent.succeeded', pi, request);
    // Stripe's dispute test card (…0259): the cardholder disputes the payment as soon as it is made.
    if (ctx.store.cards.get(pm.id)?.disputes) openDispute(ctx, charge.id, { reason: 'fraudulent' });
    return { ok: true, charge };
  }
  const error = {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.decline_code,
    doc_url: docUrl(decline.code),
    message: decline.message,
    charge: charge.id,
    payment_method: structuredClone(pm),
  };
  pi.status = 'requires_payment_method';
  pi.payment_method = null;
  pi.last_payment_error = error;
  ctx.emit('payment_intent.payment_failed', pi, request);
  return { ok: false, charge, error: { ...error, payment_intent: structuredClone(pi) } };
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} pi
 * @param {StripeObject} pm
 * @param {Decline | null} decline
 */
function createCharge(ctx, pi, pm, decline) {
  const paid = decline === null;
  const id = newId('ch_');
  return insert(ctx.store, 'charges', {
    id,
    object: 'charge',
    amount: pi.amount,
    amount_captured: paid ? pi.amount : 0,
    amount_refunded: 0,
    balance_transaction: null,
    billing_details: structuredClone(pm.billing_details),
    calculated_statement_descriptor: 'BURNRATE',
    captured: paid,
    created: nowSeconds(),
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    disputed: false,
    failure_code: decline?.code ?? null,
    failure_message: decline?.message ?? null,
    livemode: false,
    metadata: { ...pi.metadata },
    outcome: {
      network_status: paid ? 'approved_by_network' : 'declined_by_network',
      reason: decline?.decline_code ?? null,
      risk_level: 'normal',
      seller_message: paid ? 'Payment complete.' : 'The bank did not return any further details with this decline.',
      type: paid ? 'authorized' : 'issuer_declined',
    },
    paid,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        brand: pm.card.brand,
        checks: pm.card.checks,
        country: pm.card.country,
        exp_month: pm.card.exp_month,
        exp_year: pm.card.exp_year,
        fingerprint: pm.card.fingerprint,
        funding: pm.card.funding,
        last4: pm.card.last4,
        network: pm.card.brand,
      },
      type: 'card',
    },
    receipt_email: null,
    // Stripe gives every charge a hosted receipt; the emulator serves it (pages/receipt_page.mjs).
    receipt_url: `${ctx.baseUrl}/receipts/${id}`,
    refunded: false,
    status: paid ? 'succeeded' : 'failed',
  });
}
