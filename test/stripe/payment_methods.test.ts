import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';
import { deliver, eventFor, payCheckout, setCardOutcome, stripeCall, stripeCustomerRow, topup, workspaceWithSavedCard } from './stripe_helpers';

const cards = async (apiKey: string) => {
  const res = await publicApi('GET', '/v1/billing/payment-methods', apiKey);
  expect(res.status).toBe(200);
  return res.body.data as Array<{ id: string; brand: string; last4: string; expMonth: number; expYear: number; default: boolean }>;
};

/** Adds a card through the API's setup-mode Checkout and delivers its webhook; answers the new card's id. */
async function addCard(apiKey: string, card: string) {
  const created = await publicApi('POST', '/v1/billing/payment-methods', apiKey);
  expect(created.status).toBe(201);
  expect(created.body.checkoutUrl).toContain(created.body.sessionId);
  const paid = await payCheckout(created.body.sessionId, card);
  expect(paid.status).toBe(200);
  const event = await eventFor('checkout.session.completed', created.body.sessionId);
  expect((await deliver(event)).status).toBe(200);
  return paid.body.setup_intent.payment_method as string;
}

describe('payment methods', () => {
  it('lists nothing before a card is saved, then the card of the first Checkout top-up as the default', async () => {
    const ws = await createWorkspace('No cards yet');
    expect(await cards(ws.adminKey)).toEqual([]);
    const paid = await workspaceWithSavedCard('One card');
    expect(await cards(paid.adminKey)).toEqual([{ id: paid.paymentMethodId, brand: 'visa', last4: '4242', expMonth: expect.any(Number), expYear: expect.any(Number), default: true }]);
    const member = await addMember(paid.workspaceId, 'member');
    expect((await cards(member.apiKey)).map((c) => c.id)).toEqual([paid.paymentMethodId]);
  });

  it('a card added through setup-mode Checkout becomes the default; the default can be changed back; saved-card payments follow it', async () => {
    const ws = await workspaceWithSavedCard('Add a card');
    const added = await addCard(ws.adminKey, '5555555555554444');
    expect((await cards(ws.adminKey)).map((c) => [c.id, c.last4, c.default])).toEqual([
      [added, '4444', true],
      [ws.paymentMethodId, '4242', false],
    ]);
    expect((await stripeCustomerRow(ws.workspaceId))?.paymentMethodId).toBe(added);

    const back = await publicApi('POST', `/v1/billing/payment-methods/${ws.paymentMethodId}/default`, ws.adminKey);
    expect(back.status).toBe(200);
    expect(back.body.data.map((c: { id: string; default: boolean }) => [c.id, c.default])).toEqual([
      [added, false],
      [ws.paymentMethodId, true],
    ]);
    expect((await stripeCustomerRow(ws.workspaceId))?.paymentMethodId).toBe(ws.paymentMethodId);
    // The ledger object charges the new default at once: the 4242 card now declines, the 4444 card would not.
    await setCardOutcome(ws.paymentMethodId, 'decline');
    expect((await topup(ws.adminKey, 1000, 'after-default-change', 'saved')).status).toBe(402);
    expect((await publicApi('POST', `/v1/billing/payment-methods/${added}/default`, ws.adminKey)).status).toBe(200);
    const paid = await topup(ws.adminKey, 1000, 'after-second-change', 'saved');
    expect([paid.status, paid.body.transaction?.status]).toEqual([201, 'completed']);
  });

  it('removing the default promotes the newest remaining card; the last card cannot go while auto-top-up is on', async () => {
    const ws = await workspaceWithSavedCard('Remove cards');
    const added = await addCard(ws.adminKey, '5555555555554444');
    expect((await publicApi('DELETE', `/v1/billing/payment-methods/${added}`, ws.adminKey)).status).toBe(204);
    expect((await cards(ws.adminKey)).map((c) => [c.id, c.default])).toEqual([[ws.paymentMethodId, true]]);
    expect((await stripeCustomerRow(ws.workspaceId))?.paymentMethodId).toBe(ws.paymentMethodId);

    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 500, topupAmountCents: 1000 })).status).toBe(200);
    const refused = await publicApi('DELETE', `/v1/billing/payment-methods/${ws.paymentMethodId}`, ws.adminKey);
    expect([refused.status, refused.body.error?.code]).toEqual([409, 'payment_method_required']);
    expect(await cards(ws.adminKey)).toHaveLength(1);

    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: false, thresholdCents: 500, topupAmountCents: 1000 })).status).toBe(200);
    expect((await publicApi('DELETE', `/v1/billing/payment-methods/${ws.paymentMethodId}`, ws.adminKey)).status).toBe(204);
    expect(await cards(ws.adminKey)).toEqual([]);
    expect((await stripeCustomerRow(ws.workspaceId))?.paymentMethodId).toBeNull();
    const settings = await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey);
    expect(settings.body.paymentMethod).toBeNull();
    const saved = await topup(ws.adminKey, 1000, undefined, 'saved');
    expect([saved.status, saved.body.error?.code]).toEqual([409, 'payment_method_required']);
  });

  it('removing a card that is not the default leaves the default as it is', async () => {
    const ws = await workspaceWithSavedCard('Remove other card');
    const added = await addCard(ws.adminKey, '5555555555554444');
    expect((await publicApi('DELETE', `/v1/billing/payment-methods/${ws.paymentMethodId}`, ws.adminKey)).status).toBe(204);
    expect((await cards(ws.adminKey)).map((c) => [c.id, c.default])).toEqual([[added, true]]);
    expect((await stripeCustomerRow(ws.workspaceId))?.paymentMethodId).toBe(added);
    const again = await publicApi('DELETE', `/v1/billing/payment-methods/${ws.paymentMethodId}`, ws.adminKey);
    expect([again.status, again.body.error?.code]).toEqual([404, 'not_found']);
  });

  it("another workspace's card is a 404; members may only read; ids are validated", async () => {
    const a = await workspaceWithSavedCard('Tenant A');
    const b = await workspaceWithSavedCard('Tenant B');
    for (const [method, path] of [
      ['POST', `/v1/billing/payment-methods/${a.paymentMethodId}/default`],
      ['DELETE', `/v1/billing/payment-methods/${a.paymentMethodId}`],
      ['DELETE', '/v1/billing/payment-methods/pm_doesnotexist'],
    ] as const) {
      const res = await publicApi(method, path, b.adminKey);
      expect([res.status, res.body.error?.code], `${method} ${path}`).toEqual([404, 'not_found']);
    }
    expect((await cards(a.adminKey)).map((c) => [c.id, c.default])).toEqual([[a.paymentMethodId, true]]);
    const member = await addMember(b.workspaceId, 'member');
    expect((await publicApi('POST', '/v1/billing/payment-methods', member.apiKey)).status).toBe(403);
    expect((await publicApi('DELETE', `/v1/billing/payment-methods/${b.paymentMethodId}`, member.apiKey)).status).toBe(403);
    const bad = await publicApi('DELETE', '/v1/billing/payment-methods/not-a-card', b.adminKey);
    expect([bad.status, bad.body.error?.message]).toEqual([400, expect.stringContaining('id')]);
  });

  it("a setup session naming another workspace in its metadata changes nothing there", async () => {
    const victim = await workspaceWithSavedCard('Victim');
    const other = await workspaceWithSavedCard('Other');
    const session = await stripeCall('/v1/checkout/sessions', {
      mode: 'setup',
      customer: other.customerId,
      currency: 'usd',
      'metadata[workspaceId]': victim.workspaceId,
      success_url: 'http://127.0.0.1:9/ok',
    });
    expect(session.status).toBe(200);
    await payCheckout(session.body.id, '5555555555554444');
    expect((await deliver(await eventFor('checkout.session.completed', session.body.id))).status).toBe(200);
    expect((await stripeCustomerRow(victim.workspaceId))?.paymentMethodId).toBe(victim.paymentMethodId);
    expect((await stripeCustomerRow(other.workspaceId))?.paymentMethodId).toBe(other.paymentMethodId);
  });
});
