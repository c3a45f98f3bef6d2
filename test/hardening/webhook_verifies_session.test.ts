// A checkout.session.* webhook credits a deposit only when Stripe itself says the session is paid:
// the event body (even correctly signed, as with a leaked secret) is not trusted for payment_status.
//
// Contract: /work/shared/CONTRACT.md, "Refunds and disputes" (each Stripe object moves the ledger at
// most once) and README "Stripe" (the webhook verifies the session with Stripe).
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { createWorkspace, unique } from '../helpers/fixtures';
import { credits, deliver, eventFor, payCheckout, topup } from '../stripe/stripe_helpers';

const CREDIT = 1_000_000;

describe('checkout.session.completed', () => {
  it('a signed body claiming "paid" for a session Stripe has not been paid for credits nothing; the real payment later credits once', async () => {
    const ws = await createWorkspace('Forged completion');
    const created = await topup(ws.adminKey, 3000);
    expect(created.status).toBe(201);
    const forged = {
      id: `evt_${unique('forged')}`,
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: { id: created.body.sessionId, object: 'checkout.session', status: 'complete', payment_status: 'paid', amount_total: 3000, invoice: null, payment_intent: null } },
    };
    const res = await deliver(forged);
    expect(res.status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);
    expect((await publicApi('GET', `/v1/billing/transactions/${created.body.transactionId}`, ws.adminKey)).body.status).toBe('pending');

    await payCheckout(created.body.sessionId);
    expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(30 * CREDIT);
    // The forged event again (a new id, signed): still nothing more.
    expect((await deliver({ ...forged, id: `evt_${unique('forged')}` })).status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(30 * CREDIT);
  });

  it('a signed "expired" notice for a session Stripe says is paid does not fail the deposit: it is credited', async () => {
    const ws = await createWorkspace('Forged expiry');
    const created = await topup(ws.adminKey, 1200);
    await payCheckout(created.body.sessionId);
    const fakeExpiry = {
      id: `evt_${unique('expired')}`,
      object: 'event',
      type: 'checkout.session.expired',
      data: { object: { id: created.body.sessionId, object: 'checkout.session', status: 'expired', payment_status: 'unpaid' } },
    };
    expect((await deliver(fakeExpiry)).status).toBe(200);
    const tx = (await publicApi('GET', `/v1/billing/transactions/${created.body.transactionId}`, ws.adminKey)).body;
    expect(tx.status).toBe('completed');
    expect((await credits(ws.adminKey)).balanceMicros).toBe(12 * CREDIT);
  });

  it('a signed "expired" or "async_payment_failed" notice for a session still open fails nothing: paying it later credits it', async () => {
    const ws = await createWorkspace('Forged failure of an open session');
    const created = await topup(ws.adminKey, 900);
    for (const type of ['checkout.session.expired', 'checkout.session.async_payment_failed']) {
      const forged = {
        id: `evt_${unique('failed')}`,
        object: 'event',
        type,
        data: { object: { id: created.body.sessionId, object: 'checkout.session', mode: 'payment', status: type.endsWith('expired') ? 'expired' : 'complete', payment_status: 'unpaid' } },
      };
      expect((await deliver(forged)).status).toBe(200);
      expect((await publicApi('GET', `/v1/billing/transactions/${created.body.transactionId}`, ws.adminKey)).body.status).toBe('pending');
    }
    await payCheckout(created.body.sessionId);
    expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
    expect((await publicApi('GET', `/v1/billing/transactions/${created.body.transactionId}`, ws.adminKey)).body.status).toBe('completed');
    expect((await credits(ws.adminKey)).balanceMicros).toBe(9 * CREDIT);
  });

  it('a session burnrate did not create is acknowledged without moving anything', async () => {
    const res = await deliver({
      id: `evt_${unique('foreign')}`,
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: { id: 'cs_test_not_ours_123', object: 'checkout.session', payment_status: 'paid' } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true });
  });
});
