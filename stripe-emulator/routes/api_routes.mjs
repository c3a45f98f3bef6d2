// The Stripe REST endpoints the emulator answers, and what `expand[]` can include beyond ids.
import { retrieveCharge } from '../resources/charges.mjs';
import {
  createCheckoutSession,
  expireCheckoutSessionHandler,
  lineItemsList,
  listLineItems,
  listCheckoutSessions,
  retrieveCheckoutSession,
} from '../resources/checkout_sessions.mjs';
import { createCustomerHandler, deleteCustomer, retrieveCustomer, updateCustomer } from '../resources/customers.mjs';
import { acceptDispute, listDisputes, retrieveDispute, updateDispute } from '../resources/disputes.mjs';
import { listEvents, retrieveEvent } from '../resources/events.mjs';
import { createInvoice, createInvoiceItem, finalizeInvoice, listInvoices, payInvoice, retrieveInvoice } from '../resources/invoices.mjs';
import {
  cancelPaymentIntentHandler,
  confirmPaymentIntentHandler,
  createPaymentIntentHandler,
  listPaymentIntents,
  retrievePaymentIntent,
} from '../resources/payment_intents.mjs';
import {
  attachPaymentMethodHandler,
  createPaymentMethodHandler,
  detachPaymentMethodHandler,
  listCustomerPaymentMethods,
  listPaymentMethods,
  retrievePaymentMethod,
} from '../resources/payment_methods.mjs';
import { createRefund, listRefunds, retrieveRefund } from '../resources/refunds.mjs';
import { retrieveSetupIntent } from '../resources/setup_intents.mjs';
import { listObject } from '../lib/list.mjs';

/** @type {Array<[string, import('../lib/context.mjs').ApiHandler]>} */
export const API_ROUTES = [
  ['POST /v1/customers', createCustomerHandler],
  ['GET /v1/customers/:id', retrieveCustomer],
  ['POST /v1/customers/:id', updateCustomer],
  ['DELETE /v1/customers/:id', deleteCustomer],
  ['GET /v1/customers/:id/payment_methods', listCustomerPaymentMethods],

  ['POST /v1/checkout/sessions', createCheckoutSession],
  ['GET /v1/checkout/sessions', listCheckoutSessions],
  ['GET /v1/checkout/sessions/:id', retrieveCheckoutSession],
  ['GET /v1/checkout/sessions/:id/line_items', listLineItems],
  ['POST /v1/checkout/sessions/:id/expire', expireCheckoutSessionHandler],

  ['POST /v1/payment_intents', createPaymentIntentHandler],
  ['GET /v1/payment_intents', listPaymentIntents],
  ['GET /v1/payment_intents/:id', retrievePaymentIntent],
  ['POST /v1/payment_intents/:id/confirm', confirmPaymentIntentHandler],
  ['POST /v1/payment_intents/:id/cancel', cancelPaymentIntentHandler],

  ['POST /v1/payment_methods', createPaymentMethodHandler],
  ['GET /v1/payment_methods', listPaymentMethods],
  ['GET /v1/payment_methods/:id', retrievePaymentMethod],
  ['POST /v1/payment_methods/:id/attach', attachPaymentMethodHandler],
  ['POST /v1/payment_methods/:id/detach', detachPaymentMethodHandler],

  ['GET /v1/setup_intents/:id', retrieveSetupIntent],

  ['POST /v1/invoices', createInvoice],
  ['GET /v1/invoices', listInvoices],
  ['GET /v1/invoices/:id', retrieveInvoice],
  ['POST /v1/invoices/:id/finalize', finalizeInvoice],
  ['POST /v1/invoices/:id/pay', payInvoice],
  ['POST /v1/invoiceitems', createInvoiceItem],
  ['GET /v1/charges/:id', retrieveCharge],
  ['POST /v1/refunds', createRefund],
  ['GET /v1/refunds', listRefunds],
  ['GET /v1/refunds/:id', retrieveRefund],
  ['GET /v1/disputes', listDisputes],
  ['GET /v1/disputes/:id', retrieveDispute],
  ['POST /v1/disputes/:id', updateDispute],
  ['POST /v1/disputes/:id/close', acceptDispute],
  ['GET /v1/events', listEvents],
  ['GET /v1/events/:id', retrieveEvent],
];

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @returns {import('../lib/expand.mjs').VirtualExpanders}
 */
export function virtualExpanders(ctx) {
  return {
    'checkout.session': { line_items: (session) => lineItemsList(ctx, session) },
    charge: {
      refunds: (charge) =>
        listObject(
          [...ctx.store.objects.refunds.values()].filter((refund) => refund.charge === charge.id),
          `/v1/charges/${charge.id}/refunds`,
          { limit: '100' },
        ),
    },
  };
}
