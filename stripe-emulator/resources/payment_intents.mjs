// PaymentIntents: create (optionally confirm=true, off_session=true), retrieve, confirm, cancel.
// A declined confirmation answers Stripe's 402 card_error and leaves the PaymentIntent in
// requires_payment_method, retrievable, with last_payment_error.
import { nowSeconds } from '../lib/clock.mjs';
import { createdRange } from '../lib/created_range.mjs';
import { listObject } from '../lib/list.mjs';
import { invalidRequest, noSuch, StripeApiError } from '../lib/errors.mjs';
import { formatAmount, isKnownCurrency, minimumAmount } from '../lib/money.mjs';
import * as p from '../lib/params.mjs';
import { getCustomer } from './customers.mjs';
import { cardOf, refuseDetached, resolvePaymentMethod } from './payment_methods.mjs';
import { createPaymentIntent, outcomeOf, settlePayment } from './payments.mjs';

/** @typedef {import('../lib/store.mjs').StripeObject} StripeObject */

/** @type {import('../lib/context.mjs').ApiHandler} */
export function createPaymentIntentHandler(request, ctx) {
  const params = request.params;
  const amount = /** @type {number} */ (p.integer(params, 'amount', { required: true, min: 1 }));
  const currency = /** @type {string} */ (p.string(params, 'currency', { required: true })).toLowerCase();
  if (!isKnownCurrency(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' });
  const minimum = minimumAmount(currency);
  if (amount < minimum) {
    throw invalidRequest(`Amount must be at least ${formatAmount(minimum, currency)} ${currency}`, { param: 'amount', code: 'amount_too_small' });
  }
  const customerId = p.string(params, 'customer');
  const customer = customerId ? getCustomer(ctx, customerId, 'customer') : undefined;
  const confirm = p.boolean(params, 'confirm') ?? false;
  const offSession = readOffSession(params);
  if (offSession && !confirm) {
    throw invalidRequest('You can only pass `off_session` when `confirm=true`.', { param: 'off_session' });
  }
  const setupFutureUsage = p.oneOf(params, 'setup_future_usage', ['on_session', 'off_session']);
  const description = p.string(params, 'description', { max: 1000 });
  const metadata = p.metadata(params);
  const pmId = p.string(params, 'payment_method');
  if (confirm && !pmId) throw missingPaymentMethod(customerId);
  const pm = pmId ? resolvePaymentMethod(ctx, pmId, 'payment_method') : undefined;
  if (pm) refuseDetached(ctx, pm);
  if (pm) checkOwnership(pm, customer);

  const pi = createPaymentIntent(ctx, {
    amount,
    currency,
    customer: customer?.id ?? null,
    description: description ?? null,
    metadata,
    setup_future_usage: setupFutureUsage ?? null,
    payment_method: pm?.id ?? null,
  });
  if (confirm && pm) confirmWith(ctx, pi, pm, offSession, request.info, p.string(params, 'return_url') ?? null);
  return pi;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrievePaymentIntent(request, ctx) {
  return getPaymentIntent(ctx, /** @type {string} */ (request.pathParams.id));
}

/** GET /v1/payment_intents with optional `customer` and `created` filters, newest first. @type {import('../lib/context.mjs').ApiHandler} */
export function listPaymentIntents(request, ctx) {
  const customer = p.string(request.params, 'customer');
  const inRange = createdRange(request.params);
  const intents = [...ctx.store.objects.payment_intents.values()].filter((pi) => (!customer || pi.customer === customer) && inRange(pi.created));
  return listObject(intents, '/v1/payment_intents', request.params);
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function confirmPaymentIntentHandler(request, ctx) {
  const pi = getPaymentIntent(ctx, /** @type {string} */ (request.pathParams.id));
  if (!['requires_payment_method', 'requires_confirmation'].includes(pi.status)) {
    throw unexpectedState(
      pi.status === 'succeeded'
        ? 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.'
        : `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`,
    );
  }
  const pmId = p.string(request.params, 'payment_method') ?? pi.payment_method;
  if (!pmId) throw missingPaymentMethod(pi.customer);
  const pm = resolvePaymentMethod(ctx, pmId, 'payment_method');
  const customer = pi.customer ? ctx.store.objects.customers.get(pi.customer) : undefined;
  refuseDetached(ctx, pm);
  checkOwnership(pm, customer);
  pi.payment_method = pm.id;
  confirmWith(ctx, pi, pm, readOffSession(request.params), request.info, p.string(request.params, 'return_url') ?? null);
  return pi;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function cancelPaymentIntentHandler(request, ctx) {
  const pi = getPaymentIntent(ctx, /** @type {string} */ (request.pathParams.id));
  if (pi.status === 'succeeded' || pi.status === 'canceled') {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
    );
  }
  pi.status = 'canceled';
  pi.canceled_at = nowSeconds();
  pi.cancellation_reason =
    p.oneOf(request.params, 'cancellation_reason', ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']) ?? null;
  ctx.emit('payment_intent.canceled', pi, request.info);
  return pi;
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 */
export function getPaymentIntent(ctx, id) {
  const pi = ctx.store.objects.payment_intents.get(id);
  if (!pi) throw noSuch('payment_intent', id);
  return pi;
}

/**
 * Charges now; a decline becomes the 402 the request answers (stored for idempotent replay).
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} pi
 * @param {StripeObject} pm
 * @param {boolean} offSession
 * @param {import('../lib/context.mjs').RequestInfo} info
 * @param {string | null} returnUrl
 */
function confirmWith(ctx, pi, pm, offSession, info, returnUrl) {
  const card = cardOf(ctx, pm.id);
  // A card that needs 3-D Secure with the customer present: the payment waits for the challenge.
  // Off-session (no customer to ask) it is declined like any other: 402 authentication_required.
  if (!offSession && card.authenticates) return awaitAuthentication(ctx, pi, pm, info, returnUrl);
  const result = settlePayment(ctx, pi, pm, outcomeOf(card, { offSession }), info);
  if (!result.ok) throw new StripeApiError(402, result.error, { saveIdempotent: true });
}

/**
 * Card 4000 0027 6000 3184 confirmed with the customer present (no `off_session`): as Stripe does,
 * the PaymentIntent answers `requires_action`. With a `return_url` the next action is
 * `redirect_to_url` (Stripe's hosted challenge, which sends the customer back to return_url);
 * without one it is `use_stripe_sdk` (Stripe.js runs the challenge; the emulator's `stripe_js`
 * points at the same page). The page (GET/POST /authenticate/:id, routes/hosted.mjs) stands in for
 * the customer passing the challenge. Off-session this card is declined with
 * `authentication_required` (lib/cards.mjs), as Stripe does.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} pi
 * @param {StripeObject} pm
 * @param {import('../lib/context.mjs').RequestInfo} info
 * @param {string | null} returnUrl
 */
function awaitAuthentication(ctx, pi, pm, info, returnUrl) {
  const url = `${ctx.baseUrl}/authenticate/${pi.id}`;
  pi.status = 'requires_action';
  pi.payment_method = pm.id;
  pi.next_action = returnUrl
    ? { type: 'redirect_to_url', redirect_to_url: { url, return_url: returnUrl } }
    : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: pm.id } };
  ctx.emit('payment_intent.requires_action', pi, info);
}

/**
 * The customer passed the challenge on the hosted page: the payment is made now (a
 * payment_intent.succeeded follows). False when the PaymentIntent is not waiting for that.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} pi
 */
export function completeAuthentication(ctx, pi) {
  if (pi.status !== 'requires_action' || !pi.payment_method) return false;
  const pm = resolvePaymentMethod(ctx, pi.payment_method, 'payment_method');
  pi.next_action = null;
  settlePayment(ctx, pi, pm, null, null);
  return true;
}

/**
 * `off_session` is a boolean, or `one_off` / `recurring`.
 * @param {import('../lib/form.mjs').FormObject} params
 */
function readOffSession(params) {
  const raw = p.string(params, 'off_session');
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true' || raw === 'one_off' || raw === 'recurring') return true;
  throw invalidRequest(`Invalid off_session: must be a boolean, one_off or recurring`, { param: 'off_session' });
}

/**
 * A PaymentMethod saved on one customer can only be charged for that customer.
 * @param {StripeObject} pm
 * @param {StripeObject | undefined} customer
 */
function checkOwnership(pm, customer) {
  if (pm.customer && !customer) {
    throw invalidRequest(
      `The provided PaymentMethod is attached to a Customer (${pm.customer}). Pass that Customer's ID as \`customer\` to use it.`,
      { param: 'payment_method' },
    );
  }
  if (pm.customer && customer && pm.customer !== customer.id) {
    throw invalidRequest(`The provided PaymentMethod belongs to another Customer than ${customer.id}.`, { param: 'payment_method' });
  }
}

/** @param {string | null | undefined} customerId */
function missingPaymentMethod(customerId) {
  return unexpectedState(
    `You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent${customerId ? ` with ${customerId}` : ''}, specify a payment method attached to this customer along with the customer ID.`,
  );
}

/** @param {string} message */
function unexpectedState(message) {
  return invalidRequest(message, { code: 'payment_intent_unexpected_state' });
}
