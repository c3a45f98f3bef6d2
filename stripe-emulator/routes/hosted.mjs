// The pages a browser sees: the hosted checkout (GET shows it, POST pays) and hosted invoices.
import { parseForm } from '../lib/form.mjs';
import { readBody, redirect, sendHtml } from '../lib/http.mjs';
import { createRouter } from '../lib/router.mjs';
import { checkoutPage, closedSessionPage, notFoundPage } from '../pages/checkout_page.mjs';
import { invoicePage } from '../pages/invoice_page.mjs';
import { receiptPage } from '../pages/receipt_page.mjs';
import { authenticatePage } from '../pages/authenticate_page.mjs';
import { completeAuthentication } from '../resources/payment_intents.mjs';
import { payCheckoutSession } from '../resources/checkout_payment.mjs';
import { sessionExtras } from '../resources/checkout_sessions.mjs';

/**
 * @typedef {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, params: Record<string, string>, ctx: import('../lib/context.mjs').Context) => Promise<void> | void} PageHandler
 */

/** @type {PageHandler} */
function showCheckout(_req, res, params, ctx) {
  const session = ctx.store.objects.checkout_sessions.get(params.id ?? '');
  if (!session) return sendHtml(res, 404, notFoundPage('No such checkout session.'));
  if (session.status !== 'open') return sendHtml(res, session.status === 'expired' ? 410 : 200, closedSessionPage(session));
  sendHtml(res, 200, checkoutPage({ session, lineItems: sessionExtras(ctx, session.id).lineItems }));
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {Record<string, string>} params
 * @param {import('../lib/context.mjs').Context} ctx
 * @returns {Promise<void>}
 */
async function submitCheckout(req, res, params, ctx) {
  const session = ctx.store.objects.checkout_sessions.get(params.id ?? '');
  if (!session) return sendHtml(res, 404, notFoundPage('No such checkout session.'));
  if (session.status !== 'open') return sendHtml(res, session.status === 'expired' ? 410 : 200, closedSessionPage(session));
  const form = parseForm(await readBody(req));
  const values = {
    card: typeof form.card === 'string' ? form.card : typeof form.card_number === 'string' ? form.card_number : '',
    email: typeof form.email === 'string' ? form.email : undefined,
    name: typeof form.name === 'string' ? form.name : undefined,
    exp: typeof form.exp === 'string' ? form.exp : undefined,
  };
  const result = payCheckoutSession(ctx, session, values);
  if (result.ok) {
    if (result.redirectUrl) return redirect(res, result.redirectUrl);
    return sendHtml(res, 200, closedSessionPage(result.session));
  }
  const page = checkoutPage({ session, lineItems: sessionExtras(ctx, session.id).lineItems, error: result.error, values });
  sendHtml(res, result.httpStatus, page);
}

/** @type {PageHandler} */
function showInvoice(_req, res, params, ctx) {
  const invoice = ctx.store.objects.invoices.get(params.id ?? '');
  // A draft has no hosted page yet (Stripe gives it one when it is finalized).
  if (!invoice || invoice.status === 'draft') return sendHtml(res, 404, notFoundPage('No such invoice.'));
  sendHtml(res, 200, invoicePage(invoice));
}

/** @type {PageHandler} */
function showAuthenticate(_req, res, params, ctx) {
  const pi = ctx.store.objects.payment_intents.get(params.id ?? '');
  if (!pi) return sendHtml(res, 404, notFoundPage('No such payment.'));
  sendHtml(res, 200, authenticatePage(pi));
}

/** The customer completes the 3-D Secure challenge: the payment is made. @type {PageHandler} */
async function submitAuthenticate(req, res, params, ctx) {
  const pi = ctx.store.objects.payment_intents.get(params.id ?? '');
  if (!pi) return sendHtml(res, 404, notFoundPage('No such payment.'));
  await readBody(req);
  const returnUrl = pi.next_action?.redirect_to_url?.return_url ?? null;
  // As Stripe's hosted challenge does: back to return_url (with the PaymentIntent named) when one was given.
  if (completeAuthentication(ctx, pi) && returnUrl) return redirect(res, withPaymentIntent(returnUrl, pi));
  sendHtml(res, 200, authenticatePage(pi));
}

/**
 * @param {string} returnUrl
 * @param {Record<string, any>} pi
 */
function withPaymentIntent(returnUrl, pi) {
  const url = new URL(returnUrl);
  url.searchParams.set('payment_intent', pi.id);
  url.searchParams.set('payment_intent_client_secret', pi.client_secret);
  url.searchParams.set('redirect_status', pi.status === 'succeeded' ? 'succeeded' : 'failed');
  return url.toString();
}

/** @type {PageHandler} */
function showReceipt(_req, res, params, ctx) {
  const charge = ctx.store.objects.charges.get(params.id ?? '');
  if (!charge || !charge.paid) return sendHtml(res, 404, notFoundPage('No such receipt.'));
  sendHtml(res, 200, receiptPage(charge));
}

export const matchPage = createRouter(
  /** @type {Array<[string, PageHandler]>} */ ([
    ['GET /c/pay/:id', showCheckout],
    ['POST /c/pay/:id', submitCheckout],
    ['GET /invoices/:id', showInvoice],
    ['GET /receipts/:id', showReceipt],
    ['GET /authenticate/:id', showAuthenticate],
    ['POST /authenticate/:id', submitAuthenticate],
  ]),
);
