// The same card saved twice (paid with at Checkout, then added again with "Add a card") is two
// PaymentMethods at Stripe with one fingerprint: it is listed once, and removing it removes both.
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { deliver, eventFor, payCheckout, stripeCall, workspaceWithSavedCard } from './stripe_helpers';

async function saveCardAgain(apiKey: string, card: string) {
  const created = await publicApi('POST', '/v1/billing/payment-methods', apiKey);
  expect(created.status).toBe(201);
  const paid = await payCheckout(created.body.sessionId, card);
  expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
  return paid.body.setup_intent.payment_method as string;
}

describe('saved cards: one card saved twice', () => {
  it('is listed once (the default copy), and removing it detaches every copy', async () => {
    const ws = await workspaceWithSavedCard('Card saved twice');
    const again = await saveCardAgain(ws.adminKey, '4242424242424242');
    expect(again).not.toBe(ws.paymentMethodId);
    const atStripe = await stripeCall(`/v1/customers/${ws.customerId}/payment_methods?type=card`, {}, 'GET');
    expect(atStripe.body.data).toHaveLength(2);

    const listed = await publicApi('GET', '/v1/billing/payment-methods', ws.adminKey);
    expect(listed.body.data).toEqual([{ id: again, brand: 'visa', last4: '4242', expMonth: expect.any(Number), expYear: expect.any(Number), default: true }]);

    // Another card is another card.
    const master = await saveCardAgain(ws.adminKey, '5555555555554444');
    expect((await publicApi('GET', '/v1/billing/payment-methods', ws.adminKey)).body.data.map((c: any) => c.id).sort()).toEqual([again, master].sort());

    expect((await publicApi('DELETE', `/v1/billing/payment-methods/${again}`, ws.adminKey)).status).toBe(204);
    const left = await stripeCall(`/v1/customers/${ws.customerId}/payment_methods?type=card`, {}, 'GET');
    expect(left.body.data.map((pm: any) => pm.id)).toEqual([master]);
    expect((await publicApi('GET', '/v1/billing/payment-methods', ws.adminKey)).body.data.map((c: any) => c.id)).toEqual([master]);
  });
});
