// Invoices: the paid invoice a Checkout payment gets with invoice_creation[enabled]=true, its
// retrieval, and the hosted_invoice_url the emulator serves (pages/invoice_page.mjs).
import { nowSeconds } from '../lib/clock.mjs';
import { noSuch } from '../lib/errors.mjs';
import { newId } from '../lib/ids.mjs';
import { insert } from '../lib/store.mjs';

/** @typedef {import('../lib/store.mjs').StripeObject} StripeObject */

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {StripeObject} session a session just paid
 * @param {StripeObject} pi its succeeded PaymentIntent
 * @param {StripeObject[]} lineItems the session's line items
 */
export function createInvoiceForCheckout(ctx, session, pi, lineItems) {
  const customer = ctx.store.objects.customers.get(session.customer);
  const sequence = customer ? customer.next_invoice_sequence++ : 1;
  const id = newId('in_');
  const now = nowSeconds();
  const invoiceData = session.invoice_creation.invoice_data;
  return insert(ctx.store, 'invoices', {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'burnrate (Stripe emulator)',
    amount_due: session.amount_total,
    amount_overpaid: 0,
    amount_paid: session.amount_total,
    amount_remaining: 0,
    amount_shipping: 0,
    attempt_count: 0,
    attempted: true,
    auto_advance: false,
    billing_reason: 'manual',
    collection_method: 'charge_automatically',
    created: now,
    currency: session.currency,
    customer: session.customer,
    customer_email: session.customer_details?.email ?? customer?.email ?? null,
    customer_name: session.customer_details?.name ?? customer?.name ?? null,
    description: invoiceData.description,
    due_date: null,
    footer: invoiceData.footer,
    hosted_invoice_url: `${ctx.baseUrl}/invoices/${id}`,
    invoice_pdf: null,
    lines: {
      object: 'list',
      data: lineItems.map((item) => ({
        id: newId('il_'),
        object: 'line_item',
        amount: item.amount_total,
        currency: item.currency,
        description: item.description,
        invoice: id,
        livemode: false,
        metadata: {},
        period: { end: now, start: now },
        quantity: item.quantity,
      })),
      has_more: false,
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: false,
    metadata: { ...invoiceData.metadata },
    number: `${customer?.invoice_prefix ?? 'EMU'}-${String(sequence).padStart(4, '0')}`,
    payments: {
      object: 'list',
      data: [
        {
          id: newId('inpay_'),
          object: 'invoice_payment',
          amount_paid: pi.amount_received,
          amount_requested: pi.amount,
          created: now,
          currency: pi.currency,
          invoice: id,
          is_default: true,
          livemode: false,
          payment: { payment_intent: pi.id, type: 'payment_intent' },
          status: 'paid',
          status_transitions: { canceled_at: null, paid_at: now },
        },
      ],
      has_more: false,
      url: `/v1/invoice_payments?invoice=${id}`,
    },
    period_end: now,
    period_start: now,
    status: 'paid',
    status_transitions: { finalized_at: now, marked_uncollectible_at: null, paid_at: now, voided_at: null },
    subtotal: session.amount_subtotal,
    total: session.amount_total,
  });
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 */
export function getInvoice(ctx, id) {
  const invoice = ctx.store.objects.invoices.get(id);
  if (!invoice) throw noSuch('invoice', id);
  return invoice;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveInvoice(request, ctx) {
  return getInvoice(ctx, /** @type {string} */ (request.pathParams.id));
}
