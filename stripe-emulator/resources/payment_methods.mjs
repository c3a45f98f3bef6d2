// PaymentMethods (cards): create from a test card, retrieve, attach/detach, list a customer's.
import { isCard, lookupCard, TEST_PAYMENT_METHODS } from '../lib/cards.mjs';
import { nowSeconds } from '../lib/clock.mjs';
import { invalidRequest, noSuch, StripeApiError, docUrl } from '../lib/errors.mjs';
import { newId, randomToken } from '../lib/ids.mjs';
import { listObject } from '../lib/list.mjs';
import * as p from '../lib/params.mjs';
import { insert } from '../lib/store.mjs';

/** @typedef {import('../lib/cards.mjs').TestCard} TestCard */

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {TestCard} card
 * @param {{ email?: string | null, name?: string | null, exp_month?: number, exp_year?: number, metadata?: Record<string, string> }} [details]
 */
export function createPaymentMethod(ctx, card, details = {}) {
  const pm = insert(ctx.store, 'payment_methods', {
    id: newId('pm_'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: details.email ?? null,
      name: details.name ?? null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: card.brand,
      exp_month: details.exp_month ?? 12,
      exp_year: details.exp_year ?? new Date().getUTCFullYear() + 3,
      fingerprint: fingerprintOf(card.number),
      funding: card.funding,
      generated_from: null,
      last4: card.number.slice(-4),
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: nowSeconds(),
    customer: null,
    livemode: false,
    metadata: details.metadata ?? {},
    type: 'card',
  });
  ctx.store.cards.set(pm.id, card);
  return pm;
}

/** Same card number, same fingerprint (as Stripe's card fingerprints). */
const fingerprints = new Map();
/** @param {string} number */
function fingerprintOf(number) {
  if (!fingerprints.has(number)) fingerprints.set(number, randomToken(16));
  return fingerprints.get(number);
}

/**
 * A PaymentMethod named in a request: an existing one, or one of Stripe's test ids
 * (`pm_card_visa`, `pm_card_chargeDeclined`, …), which makes a new PaymentMethod each time.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 * @param {string} param
 */
export function resolvePaymentMethod(ctx, id, param) {
  const testNumber = TEST_PAYMENT_METHODS[id];
  if (testNumber) return createPaymentMethod(ctx, /** @type {TestCard} */ (lookupCard(testNumber)));
  const pm = ctx.store.objects.payment_methods.get(id);
  if (!pm) throw noSuch('PaymentMethod', id, param);
  return pm;
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 */
export function getPaymentMethod(ctx, id) {
  const pm = ctx.store.objects.payment_methods.get(id);
  if (!pm) throw noSuch('PaymentMethod', id);
  return pm;
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} pmId
 * @returns {TestCard}
 */
export function cardOf(ctx, pmId) {
  const card = ctx.store.cards.get(pmId);
  if (!card) throw new Error(`no card behind ${pmId}`);
  return card;
}

/**
 * Attaches for later (off-session) use. A card that declines every charge already declines the
 * check Stripe makes when attaching, except the "charge customer fail" card (…0341).
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {Record<string, any>} pm
 * @param {Record<string, any>} customer
 */
export function attachPaymentMethod(ctx, pm, customer) {
  if (ctx.store.detachedPaymentMethods.has(pm.id)) {
    throw invalidRequest('This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.', {
      param: 'payment_method',
    });
  }
  if (pm.customer && pm.customer !== customer.id) {
    throw invalidRequest('The payment method you provided has already been attached to a customer.', {
      param: 'payment_method',
      code: 'payment_method_unexpected_state',
    });
  }
  const card = cardOf(ctx, pm.id);
  if (card.onSession && card.number !== '4000000000000341' && !pm.customer) {
    throw new StripeApiError(402, {
      type: 'card_error',
      code: card.onSession.code,
      decline_code: card.onSession.decline_code,
      doc_url: docUrl(card.onSession.code),
      message: card.onSession.message,
      param: '',
    });
  }
  pm.customer = customer.id;
  return pm;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function createPaymentMethodHandler(request, ctx) {
  const params = request.params;
  p.oneOf(params, 'type', ['card'], { required: true });
  const cardParams = p.object(params, 'card');
  const number = p.string(cardParams, 'number', { required: true, name: 'card[number]' });
  const found = lookupCard(/** @type {string} */ (number));
  if (!isCard(found)) {
    throw new StripeApiError(402, { type: 'card_error', code: found.code, doc_url: docUrl(found.code), message: found.message, param: 'number' });
  }
  const billing = p.object(params, 'billing_details');
  return createPaymentMethod(ctx, found, {
    email: p.string(billing, 'email', { name: 'billing_details[email]' }),
    name: p.string(billing, 'name', { name: 'billing_details[name]' }),
    exp_month: p.integer(cardParams, 'exp_month', { name: 'card[exp_month]' }),
    exp_year: p.integer(cardParams, 'exp_year', { name: 'card[exp_year]' }),
    metadata: p.metadata(params),
  });
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrievePaymentMethod(request, ctx) {
  return getPaymentMethod(ctx, /** @type {string} */ (request.pathParams.id));
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function attachPaymentMethodHandler(request, ctx) {
  const id = /** @type {string} */ (request.pathParams.id);
  const pm = TEST_PAYMENT_METHODS[id] ? resolvePaymentMethod(ctx, id, 'id') : getPaymentMethod(ctx, id);
  const customerId = /** @type {string} */ (p.string(request.params, 'customer', { required: true }));
  const customer = ctx.store.objects.customers.get(customerId);
  if (!customer) throw noSuch('customer', customerId, 'customer');
  return attachPaymentMethod(ctx, pm, customer);
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function detachPaymentMethodHandler(request, ctx) {
  const pm = getPaymentMethod(ctx, /** @type {string} */ (request.pathParams.id));
  if (!pm.customer) {
    throw invalidRequest('The payment method you provided is not attached to a customer so detachment is impossible.', {
      code: 'payment_method_unexpected_state',
    });
  }
  return detachPaymentMethod(ctx, pm);
}

/**
 * Detached for good, as at Stripe: it is no longer any customer's default, and it can never be
 * charged or attached again (see refuseDetached).
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {Record<string, any>} pm
 */
export function detachPaymentMethod(ctx, pm) {
  const customer = ctx.store.objects.customers.get(pm.customer);
  if (customer && customer.invoice_settings.default_payment_method === pm.id) customer.invoice_settings.default_payment_method = null;
  pm.customer = null;
  ctx.store.detachedPaymentMethods.add(pm.id);
  return pm;
}

/**
 * Stripe's answer to a payment with a detached card: a bare invalid_request_error (no `code`),
 * naming the parameter.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {Record<string, any>} pm
 */
export function refuseDetached(ctx, pm) {
  if (!ctx.store.detachedPaymentMethods.has(pm.id)) return;
  throw invalidRequest(
    'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
    { param: 'payment_method' },
  );
}

/** GET /v1/payment_methods?customer=&type=card @type {import('../lib/context.mjs').ApiHandler} */
export function listPaymentMethods(request, ctx) {
  const customerId = p.string(request.params, 'customer');
  if (customerId !== undefined && !ctx.store.objects.customers.has(customerId)) throw noSuch('customer', customerId, 'customer');
  return listFor(ctx, customerId, request.params, '/v1/payment_methods');
}

/** GET /v1/customers/:id/payment_methods @type {import('../lib/context.mjs').ApiHandler} */
export function listCustomerPaymentMethods(request, ctx) {
  const customerId = /** @type {string} */ (request.pathParams.id);
  if (!ctx.store.objects.customers.has(customerId)) throw noSuch('customer', customerId);
  return listFor(ctx, customerId, request.params, `/v1/customers/${customerId}/payment_methods`);
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string | undefined} customerId
 * @param {import('../lib/form.mjs').FormObject} params
 * @param {string} url
 */
function listFor(ctx, customerId, params, url) {
  const type = p.string(params, 'type');
  const pms = [...ctx.store.objects.payment_methods.values()].filter(
    (pm) => (customerId === undefined ? pm.customer !== null : pm.customer === customerId) && (!type || pm.type === type),
  );
  return listObject(pms, url, params);
}
