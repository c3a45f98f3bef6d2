// Checkout Sessions in payment mode and setup mode (saving a card for later, through a
// SetupIntent): create, retrieve (expand payment_intent / setup_intent / invoice / line_items),
// list line items, expire. Paying happens on the hosted page (checkout_payment.mjs).
import { nowSeconds } from '../lib/clock.mjs';
import { invalidRequest, noSuch } from '../lib/errors.mjs';
import { newCheckoutSessionId, newId } from '../lib/ids.mjs';
import { listObject } from '../lib/list.mjs';
import { formatAmount, isKnownCurrency, minimumAmount } from '../lib/money.mjs';
import * as p from '../lib/params.mjs';
import { insert } from '../lib/store.mjs';
import { getCustomer } from './customers.mjs';
import { createdRange } from '../lib/created_range.mjs';
import { createSetupIntent } from './setup_intents.mjs';

/** @typedef {import('../lib/store.mjs').StripeObject} StripeObject */

const MIN_LIFETIME_S = 30 * 60;
const MAX_LIFETIME_S = 24 * 60 * 60;

/**
 * What a session keeps that its API object does not show.
 * @typedef {object} SessionExtras
 * @property {StripeObject[]} lineItems
 * @property {{ metadata: Record<string, string>, description: string | null, setup_future_usage: string | null }} paymentIntentData
 */

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} sessionId
 * @returns {SessionExtras}
 */
export function sessionExtras(ctx, sessionId) {
  const extras = ctx.store.sessionExtras.get(sessionId);
  if (!extras) throw new Error(`no extras for ${sessionId}`);
  return extras;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function createCheckoutSession(request, ctx) {
  const params = request.params;
  const mode = p.oneOf(params, 'mode', ['payment', 'setup', 'subscription'], { required: true });
  if (mode === 'subscription') throw invalidRequest('The Stripe emulator supports only mode=payment and mode=setup.', { param: 'mode' });

  const customerId = p.string(params, 'customer');
  const customerCreation = p.oneOf(params, 'customer_creation', ['always', 'if_required']);
  if (customerId && customerCreation) {
    throw invalidRequest('You may only specify one of these parameters: customer, customer_creation.', { param: 'customer_creation' });
  }
  const customer = customerId ? getCustomer(ctx, customerId, 'customer') : undefined;
  const customerEmail = p.string(params, 'customer_email');
  if (customer && customerEmail) {
    throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', { param: 'customer_email' });
  }

  if (mode === 'setup' && customerCreation) {
    throw invalidRequest('customer_creation can only be used in payment mode.', { param: 'customer_creation' });
  }
  if (mode === 'setup' && p.list(params, 'line_items').length > 0) {
    throw invalidRequest('You cannot pass `line_items` in `setup` mode.', { param: 'line_items' });
  }
  const { items, currency, subtotal } =
    mode === 'setup' ? { items: [], currency: p.string(params, 'currency')?.toLowerCase() ?? null, subtotal: null } : readLineItems(params);
  const minimum = currency ? minimumAmount(currency) : 0;
  if (subtotal !== null && subtotal < minimum) {
    throw invalidRequest(
      `The Checkout Session's total amount due must add up to at least ${formatAmount(minimum, currency)} ${currency}`,
      { param: 'line_items' },
    );
  }

  const pid = p.object(params, 'payment_intent_data');
  const paymentIntentData = {
    metadata: p.metadata(pid),
    description: p.string(pid, 'description', { name: 'payment_intent_data[description]' }) ?? null,
    setup_future_usage:
      p.oneOf(pid, 'setup_future_usage', ['on_session', 'off_session'], { name: 'payment_intent_data[setup_future_usage]' }) ?? null,
  };
  const sid = p.object(params, 'setup_intent_data');
  const setupIntent =
    mode === 'setup' ? createSetupIntent(ctx, { customer: customer?.id ?? null, metadata: p.metadata(sid), usage: 'off_session' }) : null;
  const invoiceCreation = readInvoiceCreation(params);
  const created = nowSeconds();
  const expiresAt = p.integer(params, 'expires_at') ?? created + MAX_LIFETIME_S;
  if (expiresAt < created + MIN_LIFETIME_S || expiresAt > created + MAX_LIFETIME_S) {
    throw invalidRequest(
      'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
      { param: 'expires_at' },
    );
  }
  const successUrl = p.string(params, 'success_url', { max: 5000 });
  const cancelUrl = p.string(params, 'cancel_url', { max: 5000 });
  for (const [name, url] of /** @type {const} */ ([['success_url', successUrl], ['cancel_url', cancelUrl]])) {
    if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) throw invalidRequest('Not a valid URL', { param: name });
  }

  const id = newCheckoutSessionId();
  const session = insert(ctx.store, 'checkout_sessions', {
    id,
    object: 'checkout.session',
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: subtotal,
    amount_total: subtotal,
    automatic_tax: { enabled: false, liability: null, status: null },
    billing_address_collection: null,
    cancel_url: cancelUrl ?? null,
    client_reference_id: p.string(params, 'client_reference_id', { max: 200 }) ?? null,
    client_secret: null,
    consent: null,
    created,
    currency,
    custom_fields: [],
    customer: customer?.id ?? null,
    customer_creation: customer ? null : (customerCreation ?? 'if_required'),
    customer_details: customer ? { email: customer.email, name: customer.name, address: null, phone: null, tax_exempt: 'none', tax_ids: [] } : null,
    customer_email: customerEmail ?? null,
    expires_at: expiresAt,
    invoice: null,
    invoice_creation: invoiceCreation,
    livemode: false,
    locale: null,
    metadata: p.metadata(params),
    mode,
    payment_intent: null,
    payment_link: null,
    payment_method_types: ['card'],
    payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
    recovered_from: null,
    setup_intent: setupIntent?.id ?? null,
    status: 'open',
    submit_type: null,
    success_url: successUrl ?? null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: `${ctx.baseUrl}/c/pay/${id}`,
  });
  ctx.store.sessionExtras.set(id, { lineItems: items, paymentIntentData });
  return session;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveCheckoutSession(request, ctx) {
  return getCheckoutSession(ctx, /** @type {string} */ (request.pathParams.id));
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function listLineItems(request, ctx) {
  const session = getCheckoutSession(ctx, /** @type {string} */ (request.pathParams.id));
  return lineItemsList(ctx, session, request.params);
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function expireCheckoutSessionHandler(request, ctx) {
  const session = getCheckoutSession(ctx, /** @type {string} */ (request.pathParams.id));
  if (session.status !== 'open') {
    throw invalidRequest(
      `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
      { code: 'checkout_session_unexpected_state' },
    );
  }
  return expireCheckoutSession(ctx, session, request.info);
}

/**
 * Expires an open session: it can no longer be paid, a PaymentIntent from a failed attempt is
 * canceled, and checkout.session.expired is emitted.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} session
 * @param {import('../lib/context.mjs').RequestInfo | null} info
 */
export function expireCheckoutSession(ctx, session, info) {
  session.status = 'expired';
  session.url = null;
  if (session.setup_intent) {
    const seti = ctx.store.objects.setup_intents.get(session.setup_intent);
    if (seti && seti.status !== 'succeeded') {
      seti.status = 'canceled';
      seti.cancellation_reason = 'abandoned';
    }
  }
  if (session.payment_intent) {
    const pi = ctx.store.objects.payment_intents.get(session.payment_intent);
    if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') {
      pi.status = 'canceled';
      pi.canceled_at = nowSeconds();
      pi.cancellation_reason = 'abandoned';
    }
  }
  ctx.emit('checkout.session.expired', session, info);
  return session;
}

/**
 * Expires every open session whose expires_at has passed (run periodically).
 * @param {import('../lib/context.mjs').Context} ctx
 */
export function expireDueSessions(ctx) {
  const now = nowSeconds();
  for (const session of ctx.store.objects.checkout_sessions.values()) {
    if (session.status === 'open' && session.expires_at <= now) expireCheckoutSession(ctx, session, null);
  }
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 */
export function getCheckoutSession(ctx, id) {
  const session = ctx.store.objects.checkout_sessions.get(id);
  if (!session) throw noSuch('checkout.session', id);
  return session;
}

/**
 * The session's line items as a list object (also what `expand[]=line_items` includes).
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} session
 * @param {import('../lib/form.mjs').FormObject} [params]
 */
export function lineItemsList(ctx, session, params = {}) {
  const items = sessionExtras(ctx, session.id).lineItems;
  const list = listObject([...items].reverse(), `/v1/checkout/sessions/${session.id}/line_items`, params);
  return { ...list, data: [...list.data].reverse() };
}

/**
 * `line_items[n][price_data][currency|unit_amount|product_data[name]]` and `[quantity]`.
 * @param {import('../lib/form.mjs').FormObject} params
 */
function readLineItems(params) {
  const raw = p.list(params, 'line_items');
  if (raw.length === 0) throw invalidRequest('line_items is required in payment mode.', { param: 'line_items', code: 'parameter_missing' });
  /** @type {StripeObject[]} */
  const items = [];
  /** @type {string | undefined} */
  let currency;
  let subtotal = 0;
  raw.forEach((entry, i) => {
    const name = `line_items[${i}]`;
    if (typeof entry === 'string') throw invalidRequest('Invalid object', { param: name });
    if (entry.price !== undefined) {
      throw invalidRequest(`No such price: '${entry.price}'. The Stripe emulator supports only price_data.`, {
        param: `${name}[price]`,
        code: 'resource_missing',
      });
    }
    const priceData = p.object(entry, 'price_data', `${name}[price_data]`);
    if (Object.keys(priceData).length === 0) throw invalidRequest(`You must specify either \`price\` or \`price_data\` in ${name}.`, { param: name });
    const itemCurrency = /** @type {string} */ (p.string(priceData, 'currency', { required: true, name: `${name}[price_data][currency]` })).toLowerCase();
    if (!isKnownCurrency(itemCurrency)) throw invalidRequest(`Invalid currency: ${itemCurrency}.`, { param: `${name}[price_data][currency]` });
    if (currency && itemCurrency !== currency) {
      throw invalidRequest('All line items must use the same currency.', { param: `${name}[price_data][currency]` });
    }
    currency = itemCurrency;
    const unitAmount = /** @type {number} */ (
      p.integer(priceData, 'unit_amount', { required: true, min: 0, name: `${name}[price_data][unit_amount]` })
    );
    const product = p.object(priceData, 'product_data', `${name}[price_data][product_data]`);
    const productName = /** @type {string} */ (
      p.string(product, 'name', { required: true, name: `${name}[price_data][product_data][name]` })
    );
    if (entry.quantity === undefined) {
      throw invalidRequest(`Quantity is required. Add \`quantity\` to \`${name}\``, { param: `${name}[quantity]`, code: 'parameter_missing' });
    }
    const quantity = /** @type {number} */ (p.integer(entry, 'quantity', { required: true, min: 1, name: `${name}[quantity]` }));
    const amount = unitAmount * quantity;
    subtotal += amount;
    items.push({
      id: newId('li_'),
      object: 'item',
      amount_discount: 0,
      amount_subtotal: amount,
      amount_tax: 0,
      amount_total: amount,
      currency: itemCurrency,
      description: productName,
      price: {
        id: newId('price_'),
        object: 'price',
        active: false,
        billing_scheme: 'per_unit',
        created: nowSeconds(),
        currency: itemCurrency,
        livemode: false,
        metadata: {},
        product: newId('prod_', 14),
        type: 'one_time',
        unit_amount: unitAmount,
        unit_amount_decimal: String(unitAmount),
      },
      quantity,
    });
  });
  return { items, currency: /** @type {string} */ (currency), subtotal };
}

/**
 * `invoice_creation[enabled]` and `invoice_creation[invoice_data][description|metadata|footer]`.
 * @param {import('../lib/form.mjs').FormObject} params
 */
function readInvoiceCreation(params) {
  const raw = p.object(params, 'invoice_creation');
  const enabled = p.boolean(raw, 'enabled', { name: 'invoice_creation[enabled]' });
  if (Object.keys(raw).length > 0 && enabled === undefined) throw invalidRequest('Missing required param: invoice_creation[enabled].', { param: 'invoice_creation[enabled]', code: 'parameter_missing' });
  const data = p.object(raw, 'invoice_data', 'invoice_creation[invoice_data]');
  return {
    enabled: enabled ?? false,
    invoice_data: {
      account_tax_ids: null,
      custom_fields: null,
      description: p.string(data, 'description', { name: 'invoice_creation[invoice_data][description]' }) ?? null,
      footer: p.string(data, 'footer', { name: 'invoice_creation[invoice_data][footer]' }) ?? null,
      issuer: null,
      metadata: p.metadata(data),
      rendering_options: null,
    },
  };
}

/** GET /v1/checkout/sessions with optional `payment_intent`, `customer`, `status` and `created` filters. @type {import('../lib/context.mjs').ApiHandler} */
export function listCheckoutSessions(request, ctx) {
  const paymentIntent = p.string(request.params, 'payment_intent');
  const customer = p.string(request.params, 'customer');
  const status = p.oneOf(request.params, 'status', ['open', 'complete', 'expired']);
  const inRange = createdRange(request.params);
  const sessions = [...ctx.store.objects.checkout_sessions.values()].filter(
    (s) => (!paymentIntent || s.payment_intent === paymentIntent) && (!customer || s.customer === customer) && (!status || s.status === status) && inRange(s.created),
  );
  return listObject(sessions, '/v1/checkout/sessions', request.params);
}
