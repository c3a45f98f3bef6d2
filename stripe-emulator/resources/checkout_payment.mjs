// Paying a Checkout Session, as the hosted page (or the JSON shortcut for tests) does: the card
// is charged on-session; on success the session completes, the card is saved on the customer
// when payment_intent_data[setup_future_usage] asks for it, and a paid invoice is created when
// invoice_creation is enabled. A decline leaves the session open and nothing paid.
import { isCard, lookupCard } from '../lib/cards.mjs';
import { docUrl, StripeApiError } from '../lib/errors.mjs';
import { sessionExtras } from './checkout_sessions.mjs';
import { createCustomer } from './customers.mjs';
import { createInvoiceForCheckout } from './invoices.mjs';
import { attachPaymentMethod, createPaymentMethod } from './payment_methods.mjs';
import { createPaymentIntent, outcomeOf, settlePayment } from './payments.mjs';

/** @typedef {import('../lib/store.mjs').StripeObject} StripeObject */

/**
 * @typedef {object} PayInput
 * @property {string} card the card number as typed
 * @property {string} [email]
 * @property {string} [name] name on the card
 * @property {string} [exp] expiry as typed, "MM / YY"
 *
 * @typedef {{ ok: true, session: StripeObject, paymentIntent: StripeObject | null, setupIntent?: StripeObject, redirectUrl: string | null }
 *   | { ok: false, httpStatus: number, error: import('../lib/errors.mjs').StripeErrorBody, session: StripeObject }} PayResult
 */

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} session
 * @param {PayInput} input
 * @returns {PayResult}
 */
export function payCheckoutSession(ctx, session, input) {
  if (session.status !== 'open') {
    const message =
      session.status === 'complete' ? 'This Checkout Session is already complete.' : 'This Checkout Session has expired.';
    return { ok: false, httpStatus: 400, error: { type: 'invalid_request_error', code: 'checkout_session_unexpected_state', message }, session };
  }
  const found = lookupCard(input.card ?? '');
  if (!isCard(found)) {
    // Checkout checks the number in the browser: nothing reaches the API.
    return { ok: false, httpStatus: 402, error: { type: 'card_error', code: found.code, doc_url: docUrl(found.code), message: found.message }, session };
  }
  const extras = sessionExtras(ctx, session.id);
  const email = input.email?.trim() || session.customer_details?.email || session.customer_email || null;
  const name = input.name?.trim() || null;
  const pm = createPaymentMethod(ctx, found, { email, name, ...parseExpiry(input.exp) });
  if (session.mode === 'setup') return completeSetup(ctx, session, pm, found, { email, name });

  let pi = session.payment_intent ? ctx.store.objects.payment_intents.get(session.payment_intent) : undefined;
  if (!pi) {
    pi = createPaymentIntent(ctx, {
      amount: session.amount_total,
      currency: session.currency,
      customer: session.customer,
      description: extras.paymentIntentData.description,
      metadata: extras.paymentIntentData.metadata,
      setup_future_usage: extras.paymentIntentData.setup_future_usage,
    });
    session.payment_intent = pi.id;
  }
  pi.payment_method = pm.id;

  const decline = outcomeOf(found, { offSession: false });
  if (!decline && !session.customer && needsCustomer(session, extras)) {
    const customer = createCustomer(ctx, { email, name });
    session.customer = customer.id;
    pi.customer = customer.id;
  }
  const result = settlePayment(ctx, pi, pm, decline, null);
  if (!result.ok) return { ok: false, httpStatus: 402, error: result.error, session };

  const customer = session.customer ? ctx.store.objects.customers.get(session.customer) : undefined;
  session.status = 'complete';
  session.payment_status = 'paid';
  session.url = null;
  session.customer_details = {
    address: null,
    email: email ?? customer?.email ?? null,
    name: name ?? customer?.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  if (session.invoice_creation.enabled) {
    session.invoice = createInvoiceForCheckout(ctx, session, pi, extras.lineItems).id;
  }
  ctx.emit('checkout.session.completed', session, null);
  const redirectUrl = session.success_url ? session.success_url.replaceAll('{CHECKOUT_SESSION_ID}', session.id) : null;
  return { ok: true, session, paymentIntent: pi, redirectUrl };
}

/**
 * Setup mode: nothing is charged; the card is checked (a card that declines every charge fails
 * here, as when attaching), attached to the customer, and the session's SetupIntent succeeds.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} session
 * @param {StripeObject} pm
 * @param {import('../lib/cards.mjs').TestCard} card
 * @param {{ email: string | null, name: string | null }} who
 * @returns {PayResult}
 */
function completeSetup(ctx, session, pm, card, who) {
  const seti = ctx.store.objects.setup_intents.get(session.setup_intent);
  if (!seti) throw new Error(`no setup intent behind ${session.id}`);
  let customer = session.customer ? ctx.store.objects.customers.get(session.customer) : undefined;
  if (!customer) {
    customer = createCustomer(ctx, { email: who.email, name: who.name });
    session.customer = customer.id;
  }
  try {
    attachPaymentMethod(ctx, pm, customer);
  } catch (error) {
    if (!(error instanceof StripeApiError)) throw error;
    seti.last_setup_error = { ...error.body, payment_method: structuredClone(pm) };
    ctx.emit('setup_intent.setup_failed', seti, null);
    return { ok: false, httpStatus: error.status, error: error.body, session };
  }
  seti.customer = customer.id;
  seti.payment_method = pm.id;
  seti.status = 'succeeded';
  seti.last_setup_error = null;
  ctx.emit('setup_intent.succeeded', seti, null);
  session.status = 'complete';
  session.url = null;
  session.customer_details = { address: null, email: who.email ?? customer.email ?? null, name: who.name ?? customer.name ?? null, phone: null, tax_exempt: 'none', tax_ids: [] };
  ctx.emit('checkout.session.completed', session, null);
  const redirectUrl = session.success_url ? session.success_url.replaceAll('{CHECKOUT_SESSION_ID}', session.id) : null;
  return { ok: true, session, paymentIntent: null, setupIntent: seti, redirectUrl };
}

/**
 * Checkout makes a Customer in payment mode when asked to (customer_creation=always) or when the
 * payment needs one: a post-purchase invoice, or a card saved for later.
 * @param {StripeObject} session
 * @param {import('./checkout_sessions.mjs').SessionExtras} extras
 */
function needsCustomer(session, extras) {
  return (
    session.customer_creation === 'always' ||
    session.invoice_creation.enabled ||
    extras.paymentIntentData.setup_future_usage !== null
  );
}

/**
 * "12 / 34", "12/2034", "1234" → { exp_month, exp_year }; anything else → {}.
 * @param {string | undefined} exp
 */
function parseExpiry(exp) {
  const match = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(exp ?? '');
  if (!match) return {};
  const month = Number(match[1]);
  const year = Number(match[2]);
  if (month < 1 || month > 12) return {};
  return { exp_month: month, exp_year: year < 100 ? 2000 + year : year };
}
