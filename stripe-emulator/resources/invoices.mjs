// Invoices: the paid invoice a Checkout payment gets with invoice_creation[enabled]=true, and the
// API's own invoices (POST /v1/invoices, /v1/invoiceitems, …/finalize, …/pay with
// paid_out_of_band or a payment_method), with the hosted_invoice_url the emulator serves
// (pages/invoice_page.mjs). Stripe's lifecycle: draft → open (finalize) → paid (pay).
import { nowSeconds } from '../lib/clock.mjs';
import { invalidRequest, noSuch, StripeApiError } from '../lib/errors.mjs';
import { newId } from '../lib/ids.mjs';
import { listObject } from '../lib/list.mjs';
import { isKnownCurrency } from '../lib/money.mjs';
import * as p from '../lib/params.mjs';
import { insert } from '../lib/store.mjs';
import { getCustomer } from './customers.mjs';
import { cardOf, resolvePaymentMethod } from './payment_methods.mjs';
import { createPaymentIntent, outcomeOf, settlePayment } from './payments.mjs';

/** @typedef {import('../lib/store.mjs').StripeObject} StripeObject */

/**
 * A draft invoice for a customer: no number until it is finalized, no lines until items are added.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {{ customer: StripeObject | undefined, customerId: string | null, currency: string, description?: string | null, footer?: string | null, metadata?: Record<string, string>, autoAdvance?: boolean }} fields
 */
function draftInvoice(ctx, fields) {
  const id = newId('in_');
  const now = nowSeconds();
  return insert(ctx.store, 'invoices', {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'burnrate (Stripe emulator)',
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    attempt_count: 0,
    attempted: false,
    auto_advance: fields.autoAdvance ?? false,
    billing_reason: 'manual',
    collection_method: 'charge_automatically',
    created: now,
    currency: fields.currency,
    customer: fields.customerId,
    customer_email: fields.customer?.email ?? null,
    customer_name: fields.customer?.name ?? null,
    description: fields.description ?? null,
    due_date: null,
    footer: fields.footer ?? null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: { ...(fields.metadata ?? {}) },
    number: null,
    paid_out_of_band: false,
    payments: { object: 'list', data: [], has_more: false, url: `/v1/invoice_payments?invoice=${id}` },
    period_end: now,
    period_start: now,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    total: 0,
  });
}

/**
 * @param {StripeObject} invoice
 * @param {{ amount: number, currency: string, description: string | null, quantity?: number, metadata?: Record<string, string> }} line
 */
function addLine(invoice, line) {
  const now = nowSeconds();
  invoice.lines.data.push({
    id: newId('il_'),
    object: 'line_item',
    amount: line.amount,
    currency: line.currency,
    description: line.description,
    invoice: invoice.id,
    livemode: false,
    metadata: { ...(line.metadata ?? {}) },
    period: { end: now, start: now },
    quantity: line.quantity ?? 1,
  });
  const total = invoice.lines.data.reduce((/** @type {number} */ sum, /** @type {any} */ l) => sum + l.amount, 0);
  invoice.subtotal = total;
  invoice.total = total;
  invoice.amount_due = total;
  invoice.amount_remaining = total - invoice.amount_paid;
}

/**
 * Draft → open: the invoice gets its number and its hosted page.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} invoice
 * @param {import('../lib/context.mjs').RequestInfo | null} request
 */
function finalize(ctx, invoice, request) {
  const customer = invoice.customer ? ctx.store.objects.customers.get(invoice.customer) : undefined;
  const sequence = customer ? customer.next_invoice_sequence++ : 1;
  invoice.number = `${customer?.invoice_prefix ?? 'EMU'}-${String(sequence).padStart(4, '0')}`;
  invoice.hosted_invoice_url = `${ctx.baseUrl}/invoices/${invoice.id}`;
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = nowSeconds();
  ctx.emit('invoice.finalized', invoice, request);
}

/**
 * Open → paid, by `payment` (a PaymentIntent that paid it) or out of band (money received elsewhere).
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} invoice
 * @param {StripeObject | null} pi
 * @param {import('../lib/context.mjs').RequestInfo | null} request
 */
function markPaid(ctx, invoice, pi, request) {
  const now = nowSeconds();
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.attempted = true;
  invoice.paid_out_of_band = pi === null;
  invoice.status = 'paid';
  invoice.status_transitions.paid_at = now;
  if (pi) {
    invoice.attempt_count += 1;
    invoice.payments.data.push({
      id: newId('inpay_'),
      object: 'invoice_payment',
      amount_paid: pi.amount_received,
      amount_requested: pi.amount,
      created: now,
      currency: pi.currency,
      invoice: invoice.id,
      is_default: true,
      livemode: false,
      payment: { payment_intent: pi.id, type: 'payment_intent' },
      status: 'paid',
      status_transitions: { canceled_at: null, paid_at: now },
    });
  }
  ctx.emit('invoice.paid', invoice, request);
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} session a session just paid
 * @param {StripeObject} pi its succeeded PaymentIntent
 * @param {StripeObject[]} lineItems the session's line items
 */
export function createInvoiceForCheckout(ctx, session, pi, lineItems) {
  const customer = ctx.store.objects.customers.get(session.customer);
  const invoiceData = session.invoice_creation.invoice_data;
  const invoice = draftInvoice(ctx, {
    customer,
    customerId: session.customer,
    currency: session.currency,
    description: invoiceData.description,
    footer: invoiceData.footer,
    metadata: invoiceData.metadata,
  });
  invoice.customer_email = session.customer_details?.email ?? invoice.customer_email;
  invoice.customer_name = session.customer_details?.name ?? invoice.customer_name;
  for (const item of lineItems) addLine(invoice, { amount: item.amount_total, currency: item.currency, description: item.description, quantity: item.quantity });
  finalize(ctx, invoice, null);
  markPaid(ctx, invoice, pi, null);
  return invoice;
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 * @param {string} [param]
 */
export function getInvoice(ctx, id, param) {
  const invoice = ctx.store.objects.invoices.get(id);
  if (!invoice) throw noSuch('invoice', id, param);
  return invoice;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveInvoice(request, ctx) {
  return getInvoice(ctx, /** @type {string} */ (request.pathParams.id));
}

/** GET /v1/invoices with optional `customer` and `status`. @type {import('../lib/context.mjs').ApiHandler} */
export function listInvoices(request, ctx) {
  const customer = p.string(request.params, 'customer');
  const status = p.string(request.params, 'status');
  const invoices = [...ctx.store.objects.invoices.values()].filter((i) => (!customer || i.customer === customer) && (!status || i.status === status));
  return listObject(invoices, '/v1/invoices', request.params);
}

/**
 * POST /v1/invoices: a draft for `customer`. With `pending_invoice_items_behavior=exclude` (what
 * burnrate sends) it starts empty; otherwise the customer's pending invoice items are pulled in,
 * as Stripe does. @type {import('../lib/context.mjs').ApiHandler}
 */
export function createInvoice(request, ctx) {
  const params = request.params;
  const customerId = /** @type {string} */ (p.string(params, 'customer', { required: true }));
  const customer = getCustomer(ctx, customerId, 'customer');
  const currency = (p.string(params, 'currency') ?? 'usd').toLowerCase();
  if (!isKnownCurrency(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' });
  const behavior = p.oneOf(params, 'pending_invoice_items_behavior', ['exclude', 'include']) ?? 'include';
  p.oneOf(params, 'collection_method', ['charge_automatically', 'send_invoice']);
  const invoice = draftInvoice(ctx, {
    customer,
    customerId,
    currency,
    description: p.string(params, 'description', { max: 1500 }) ?? null,
    footer: p.string(params, 'footer', { max: 5000 }) ?? null,
    metadata: p.metadata(params),
    autoAdvance: p.boolean(params, 'auto_advance') ?? false,
  });
  if (behavior === 'include') {
    for (const item of ctx.store.objects.invoiceitems.values()) {
      if (item.customer === customerId && item.invoice === null) {
        item.invoice = invoice.id;
        addLine(invoice, item);
      }
    }
  }
  ctx.emit('invoice.created', invoice, request.info);
  return invoice;
}

/**
 * POST /v1/invoiceitems: `customer`, `amount` (cents), `currency`, `description`, `invoice` (a
 * draft of that customer; without it the item waits for the customer's next invoice).
 * @type {import('../lib/context.mjs').ApiHandler}
 */
export function createInvoiceItem(request, ctx) {
  const params = request.params;
  const customerId = /** @type {string} */ (p.string(params, 'customer', { required: true }));
  getCustomer(ctx, customerId, 'customer');
  const amount = /** @type {number} */ (p.integer(params, 'amount', { required: true }));
  const currency = /** @type {string} */ (p.string(params, 'currency', { required: true })).toLowerCase();
  if (!isKnownCurrency(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' });
  const invoiceId = p.string(params, 'invoice');
  const invoice = invoiceId ? getInvoice(ctx, invoiceId, 'invoice') : undefined;
  if (invoice && invoice.customer !== customerId) throw invalidRequest(`Invoice ${invoice.id} belongs to another customer.`, { param: 'invoice' });
  if (invoice && invoice.status !== 'draft') throw invalidRequest(`Invoice ${invoice.id} is not a draft; items can only be added to drafts.`, { param: 'invoice', code: 'invoice_not_editable' });
  if (invoice && invoice.currency !== currency) throw invalidRequest(`The currency of the item (${currency}) must match the invoice's (${invoice.currency}).`, { param: 'currency' });
  const item = insert(ctx.store, 'invoiceitems', {
    id: newId('ii_'),
    object: 'invoiceitem',
    amount,
    currency,
    customer: customerId,
    date: nowSeconds(),
    description: p.string(params, 'description', { max: 1500 }) ?? null,
    invoice: invoice?.id ?? null,
    livemode: false,
    metadata: p.metadata(params),
    quantity: 1,
  });
  if (invoice) addLine(invoice, item);
  return item;
}

/** POST /v1/invoices/:id/finalize: draft → open. @type {import('../lib/context.mjs').ApiHandler} */
export function finalizeInvoice(request, ctx) {
  const invoice = getInvoice(ctx, /** @type {string} */ (request.pathParams.id));
  if (invoice.status !== 'draft') throw invalidRequest(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`, { code: 'invoice_unexpected_state' });
  finalize(ctx, invoice, request.info);
  return invoice;
}

/**
 * POST /v1/invoices/:id/pay: an open invoice (a draft is finalized first, as Stripe does) is paid
 * out of band (`paid_out_of_band=true`: no money moves at Stripe) or by charging `payment_method`
 * (or the customer's default card) through a new PaymentIntent; a decline answers the 402
 * card_error and the invoice stays open. @type {import('../lib/context.mjs').ApiHandler}
 */
export function payInvoice(request, ctx) {
  const invoice = getInvoice(ctx, /** @type {string} */ (request.pathParams.id));
  if (invoice.status === 'paid') throw invalidRequest('Invoice is already paid', { code: 'invoice_already_paid' });
  if (invoice.status !== 'draft' && invoice.status !== 'open') throw invalidRequest(`This invoice can't be paid: it is ${invoice.status}.`, { code: 'invoice_unexpected_state' });
  if (invoice.status === 'draft') finalize(ctx, invoice, request.info);
  if (p.boolean(request.params, 'paid_out_of_band')) {
    markPaid(ctx, invoice, null, request.info);
    return invoice;
  }
  const customer = ctx.store.objects.customers.get(invoice.customer);
  const pmId = p.string(request.params, 'payment_method') ?? customer?.invoice_settings?.default_payment_method ?? null;
  if (!pmId) throw invalidRequest('This customer has no attached payment source or default payment method.', { code: 'invoice_no_payment_method_types' });
  const pm = resolvePaymentMethod(ctx, pmId, 'payment_method');
  if (pm.customer && pm.customer !== invoice.customer) throw invalidRequest(`The provided PaymentMethod belongs to another Customer than ${invoice.customer}.`, { param: 'payment_method' });
  const pi = createPaymentIntent(ctx, { amount: invoice.amount_due, currency: invoice.currency, customer: invoice.customer, description: `Payment for Invoice ${invoice.number}`, metadata: {}, payment_method: pm.id });
  const offSession = p.boolean(request.params, 'off_session') ?? true;
  const result = settlePayment(ctx, pi, pm, outcomeOf(cardOf(ctx, pm.id), { offSession }), request.info);
  invoice.attempted = true;
  if (!result.ok) {
    invoice.attempt_count += 1;
    throw new StripeApiError(402, result.error, { saveIdempotent: true });
  }
  markPaid(ctx, invoice, pi, request.info);
  return invoice;
}
