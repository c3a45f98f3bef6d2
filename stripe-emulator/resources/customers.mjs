// Customers: create, retrieve, update (including invoice_settings.default_payment_method), delete.
import { nowSeconds } from '../lib/clock.mjs';
import { invalidRequest, noSuch } from '../lib/errors.mjs';
import { newId, randomToken } from '../lib/ids.mjs';
import * as p from '../lib/params.mjs';
import { insert } from '../lib/store.mjs';
import { attachPaymentMethod, detachPaymentMethod, resolvePaymentMethod } from './payment_methods.mjs';

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {{ email?: string | null, name?: string | null, description?: string | null, phone?: string | null, metadata?: Record<string, string> }} fields
 */
export function createCustomer(ctx, fields) {
  return insert(ctx.store, 'customers', {
    id: newId('cus_', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: fields.description ?? null,
    email: fields.email ?? null,
    invoice_prefix: randomToken(8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: fields.metadata ?? {},
    name: fields.name ?? null,
    next_invoice_sequence: 1,
    phone: fields.phone ?? null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  });
}

/**
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {string} id
 * @param {string} [param] the request parameter naming it (a 400 instead of a 404)
 */
export function getCustomer(ctx, id, param) {
  const customer = ctx.store.objects.customers.get(id);
  if (!customer) throw noSuch('customer', id, param);
  return customer;
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function createCustomerHandler(request, ctx) {
  const params = request.params;
  const fields = readFields(params);
  const pmId = p.string(params, 'payment_method');
  const settings = p.object(params, 'invoice_settings');
  const defaultPm = p.string(settings, 'default_payment_method', { name: 'invoice_settings[default_payment_method]' });
  const paymentMethod = pmId ? resolvePaymentMethod(ctx, pmId, 'payment_method') : undefined;
  const customer = createCustomer(ctx, { ...fields, metadata: p.metadata(params) });
  if (paymentMethod) attachPaymentMethod(ctx, paymentMethod, customer);
  if (defaultPm) setDefaultPaymentMethod(ctx, customer, defaultPm);
  return customer;
}

/** @param {string} id */
const deletedStub = (id) => ({ id, object: 'customer', deleted: true });

/** A deleted customer still answers GET, with Stripe's deleted stub. @type {import('../lib/context.mjs').ApiHandler} */
export function retrieveCustomer(request, ctx) {
  const id = /** @type {string} */ (request.pathParams.id);
  if (ctx.store.deletedCustomers.has(id)) return deletedStub(id);
  return getCustomer(ctx, id);
}

/**
 * DELETE /v1/customers/:id: gone for good. Its cards are detached (never usable again); every later
 * use of the customer (a PaymentIntent, a Checkout Session, its cards, an update) is
 * `resource_missing`, and retrieving it answers the deleted stub. Emits customer.deleted.
 * @type {import('../lib/context.mjs').ApiHandler}
 */
export function deleteCustomer(request, ctx) {
  const customer = getCustomer(ctx, /** @type {string} */ (request.pathParams.id));
  for (const pm of ctx.store.objects.payment_methods.values()) {
    if (pm.customer === customer.id) detachPaymentMethod(ctx, pm);
  }
  ctx.store.objects.customers.delete(customer.id);
  ctx.store.deletedCustomers.add(customer.id);
  ctx.emit('customer.deleted', customer, request.info);
  return deletedStub(customer.id);
}

/** @type {import('../lib/context.mjs').ApiHandler} */
export function updateCustomer(request, ctx) {
  const customer = getCustomer(ctx, /** @type {string} */ (request.pathParams.id));
  const params = request.params;
  const fields = readFields(params);
  const metadata = p.metadata(params, customer.metadata);
  const settings = p.object(params, 'invoice_settings', 'invoice_settings');
  const defaultPm = p.string(settings, 'default_payment_method', { name: 'invoice_settings[default_payment_method]' });
  if (defaultPm) setDefaultPaymentMethod(ctx, customer, defaultPm);
  else if (defaultPm === '') customer.invoice_settings.default_payment_method = null;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) customer[key] = value === '' ? null : value;
  }
  customer.metadata = metadata;
  return customer;
}

/**
 * @param {import('../lib/form.mjs').FormObject} params
 */
function readFields(params) {
  return {
    email: p.string(params, 'email', { max: 512 }),
    name: p.string(params, 'name', { max: 256 }),
    description: p.string(params, 'description', { max: 350 }),
    phone: p.string(params, 'phone', { max: 20 }),
  };
}

/**
 * The default must be a PaymentMethod attached to this customer, as in Stripe.
 * @param {import('../lib/context.mjs').Context} ctx
 * @param {Record<string, any>} customer
 * @param {string} pmId
 */
function setDefaultPaymentMethod(ctx, customer, pmId) {
  const param = 'invoice_settings[default_payment_method]';
  const pm = ctx.store.objects.payment_methods.get(pmId);
  if (!pm) throw noSuch('PaymentMethod', pmId, param);
  if (pm.customer !== customer.id) {
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
      { param, code: 'resource_missing' },
    );
  }
  customer.invoice_settings.default_payment_method = pmId;
}
