// A customer deleted, or a card detached, outside burnrate (in Stripe's dashboard, say): Stripe's
// answers afterwards, so that burnrate's handling of these refusals can be produced locally.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness } from './helpers.mjs';

/** @type {Awaited<ReturnType<typeof startHarness>>} */
let h;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

async function savedCard() {
  const { customer, pay } = await h.paidTopUp();
  return { customer, pmId: /** @type {string} */ (pay.json.payment_intent.payment_method) };
}

/** @param {string} customer @param {string} pm */
const offSessionForm = (customer, pm) => new URLSearchParams({ amount: '2500', currency: 'usd', customer, payment_method: pm, off_session: 'true', confirm: 'true' }).toString();

test('DELETE /v1/customers/:id answers { id, object, deleted: true }; afterwards the customer is a deleted stub and no longer usable', async () => {
  const { customer, pmId } = await savedCard();
  const deleted = await h.call(`/v1/customers/${customer.id}`, { method: 'DELETE' });
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.json, { id: customer.id, object: 'customer', deleted: true });
  // Retrieving it still answers, as Stripe does, with the deleted stub.
  const read = await h.call(`/v1/customers/${customer.id}`);
  assert.deepEqual([read.status, read.json], [200, { id: customer.id, object: 'customer', deleted: true }]);

  const charge = await h.call('/v1/payment_intents', { form: offSessionForm(customer.id, pmId) });
  assert.equal(charge.status, 400);
  assert.deepEqual(
    { type: charge.json.error.type, code: charge.json.error.code, param: charge.json.error.param, message: charge.json.error.message },
    { type: 'invalid_request_error', code: 'resource_missing', param: 'customer', message: `No such customer: '${customer.id}'` },
  );
  const cards = await h.call(`/v1/customers/${customer.id}/payment_methods?type=card`);
  assert.deepEqual([cards.status, cards.json.error.code], [404, 'resource_missing']);
  const update = await h.call(`/v1/customers/${customer.id}`, { form: 'name=again' });
  assert.deepEqual([update.status, update.json.error.code], [404, 'resource_missing']);
  const session = await h.call('/v1/checkout/sessions', {
    form: new URLSearchParams({ mode: 'setup', currency: 'usd', customer: customer.id, success_url: 'http://127.0.0.1:9/ok' }).toString(),
  });
  assert.deepEqual([session.status, session.json.error.code, session.json.error.param], [400, 'resource_missing', 'customer']);
  const again = await h.call(`/v1/customers/${customer.id}`, { method: 'DELETE' });
  assert.deepEqual([again.status, again.json.error.code], [404, 'resource_missing']);
  // Its cards went with it: detached, and never usable again.
  const pm = await h.call(`/v1/payment_methods/${pmId}`);
  assert.equal(pm.json.customer, null);

  const events = await h.call('/__emulator/events?type=customer.deleted');
  assert.deepEqual(events.json.data.map((/** @type {any} */ e) => e.data.object.id), [customer.id]);
});

test('a detached card may not be used again: a PaymentIntent with it is refused, as is attaching it again', async () => {
  const { customer, pmId } = await savedCard();
  const detached = await h.call(`/v1/payment_methods/${pmId}/detach`, { method: 'POST', form: '' });
  assert.deepEqual([detached.status, detached.json.customer], [200, null]);

  const charge = await h.call('/v1/payment_intents', { form: offSessionForm(customer.id, pmId) });
  assert.equal(charge.status, 400);
  assert.equal(charge.json.error.type, 'invalid_request_error');
  assert.equal(charge.json.error.param, 'payment_method');
  assert.match(charge.json.error.message, /was detached from a Customer\. It may not be used again/);
  const attach = await h.call(`/v1/payment_methods/${pmId}/attach`, { form: `customer=${customer.id}` });
  assert.equal(attach.status, 400);
  assert.match(attach.json.error.message, /detached from a Customer, and may not be used again/);
  const twice = await h.call(`/v1/payment_methods/${pmId}/detach`, { method: 'POST', form: '' });
  assert.deepEqual([twice.status, twice.json.error.code], [400, 'payment_method_unexpected_state']);
});

test('GET /v1/checkout/sessions filters by status and created; POST …/expire ends an open one', async () => {
  const form = new URLSearchParams({
    mode: 'payment',
    success_url: 'http://127.0.0.1:9/ok',
    'line_items[0][quantity]': '1',
    'line_items[0][price_data][currency]': 'usd',
    'line_items[0][price_data][unit_amount]': '700',
    'line_items[0][price_data][product_data][name]': 'credits',
    'metadata[workspaceId]': 'ws_filter',
  }).toString();
  const open = (await h.call('/v1/checkout/sessions', { form })).json;
  const other = (await h.call('/v1/checkout/sessions', { form })).json;
  const expired = await h.call(`/v1/checkout/sessions/${other.id}/expire`, { method: 'POST', form: '' });
  assert.deepEqual([expired.status, expired.json.status], [200, 'expired']);
  const listed = await h.call(`/v1/checkout/sessions?status=open&created[gte]=${open.created}&limit=100`);
  const ids = listed.json.data.map((/** @type {any} */ s) => s.id);
  assert.ok(ids.includes(open.id));
  assert.ok(!ids.includes(other.id));
  const later = await h.call(`/v1/checkout/sessions?created[gt]=${open.created + 60}`);
  assert.deepEqual(later.json.data, []);
  const bad = await h.call('/v1/checkout/sessions?status=paid');
  assert.deepEqual([bad.status, bad.json.error.param], [400, 'status']);
});
