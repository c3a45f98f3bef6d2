import { describe, expect, it } from 'vitest';
import { publicApi, rawFetch } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';
import { credits, deliver, EMULATOR, eventFor, payCheckout, topup } from './stripe_helpers';

describe('top-up through Stripe Checkout (the local emulator as Stripe)', () => {
  it('creates a pending deposit, and the webhook completes it once with its invoice link', async () => {
    const ws = await createWorkspace('Top-up');
    const created = await topup(ws.adminKey, 2500);
    expect(created.status).toBe(201);
    expect(created.body.checkoutUrl.startsWith(`${EMULATOR}/c/pay/cs_`)).toBe(true);
    const history = await publicApi('GET', '/v1/billing/credits/history?type=deposit', ws.adminKey);
    expect(history.body.data[0]).toMatchObject({ id: created.body.transactionId, status: 'pending', amountMicros: 25_000_000, balanceAfterMicros: null });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);

    expect((await payCheckout(created.body.sessionId)).status).toBe(200);
    const event = await eventFor('checkout.session.completed', created.body.sessionId);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => deliver(event)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);

    expect((await credits(ws.adminKey)).balanceMicros).toBe(25_000_000);
    const tx = (await publicApi('GET', `/v1/billing/transactions/${created.body.transactionId}`, ws.adminKey)).body;
    expect(tx).toMatchObject({ status: 'completed', amountMicros: 25_000_000, balanceAfterMicros: 25_000_000 });
    expect(tx.invoiceUrl.startsWith(`${EMULATOR}/invoices/in_`)).toBe(true);

    // The success endpoint after the webhook: the same deposit, not a second credit.
    const success = await publicApi('GET', `/v1/billing/success?session_id=${created.body.sessionId}`, ws.adminKey);
    expect(success.status).toBe(200);
    expect(success.body).toMatchObject({ status: 'completed', transaction: { id: created.body.transactionId } });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(25_000_000);

    // The card is saved: auto-top-up can now be enabled.
    const auto = await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 });
    expect(auto.status).toBe(200);
    expect(auto.body.paymentMethod).toEqual({ brand: 'visa', last4: '4242' });
  });

  it('the success endpoint and the webhook racing credit once', async () => {
    const ws = await createWorkspace('Race');
    const created = await topup(ws.adminKey, 1000);
    await payCheckout(created.body.sessionId);
    const event = await eventFor('checkout.session.completed', created.body.sessionId);
    await Promise.all([
      deliver(event),
      publicApi('GET', `/v1/billing/success?session_id=${created.body.sessionId}`, ws.adminKey),
      deliver(event),
      publicApi('GET', `/v1/billing/success?session_id=${created.body.sessionId}`, ws.adminKey),
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(10_000_000);
  });

  it('a declined card leaves the deposit pending; expiry fails it; nothing is credited', async () => {
    const ws = await createWorkspace('Decline');
    const created = await topup(ws.adminKey, 500);
    const paid = await payCheckout(created.body.sessionId, '4000000000000002');
    expect(paid.status).not.toBe(200);
    const pending = await publicApi('GET', `/v1/billing/success?session_id=${created.body.sessionId}`, ws.adminKey);
    expect(pending.body.status).toBe('pending');
    const expired = await fetch(`${EMULATOR}/v1/checkout/sessions/${created.body.sessionId}/expire`, { method: 'POST', headers: { authorization: 'Bearer sk_test_x' } });
    expect(expired.status).toBe(200);
    const event = await eventFor('checkout.session.expired', created.body.sessionId);
    expect((await deliver(event)).status).toBe(200);
    const tx = (await publicApi('GET', `/v1/billing/transactions/${created.body.transactionId}`, ws.adminKey)).body;
    expect(tx.status).toBe('failed');
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);
  });

  it('bounds, roles and tenancy', async () => {
    const ws = await createWorkspace('Topup rules');
    const other = await createWorkspace('Other tenant');
    for (const amountCents of [499, 1_000_001, 25.5, -500]) {
      const res = await topup(ws.adminKey, amountCents);
      expect(res.status, String(amountCents)).toBe(400);
      expect(res.body.error.message).toContain('amountCents');
    }
    const member = await addMember(ws.workspaceId, 'member');
    const forbidden = await topup(member.apiKey, 2500);
    expect(forbidden.status).toBe(403);
    const created = await topup(ws.adminKey, 2500);
    const foreign = await publicApi('GET', `/v1/billing/success?session_id=${created.body.sessionId}`, other.adminKey);
    expect(foreign.status).toBe(404);
    expect((await publicApi('GET', '/v1/billing/success?session_id=cs_test_nope', ws.adminKey)).status).toBe(404);
    // The same Idempotency-Key returns the same session and pending deposit.
    const a = await topup(ws.adminKey, 3000, 'same-key');
    const b = await topup(ws.adminKey, 3000, 'same-key');
    expect(b.body).toEqual(a.body);
  });

  it('refuses bad signatures and records nothing', async () => {
    const ws = await createWorkspace('Signatures');
    const created = await topup(ws.adminKey, 2000);
    await payCheckout(created.body.sessionId);
    const event = await eventFor('checkout.session.completed', created.body.sessionId);
    const cases = [
      { secret: 'whsec_wrong' },
      { tamper: (raw: string) => raw.replace('"paid"', '"paid" ') },
      { timestamp: Math.floor(Date.now() / 1000) - 301 },
    ];
    for (const options of cases) {
      const res = await deliver(event, options);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);
  });
});

describe('Stripe routes: authentication', () => {
  it('top-up and success need an API key; the webhook needs a Stripe-Signature', async () => {
    expect((await publicApi('POST', '/v1/billing/topup', null, { amountCents: 2500 })).status).toBe(401);
    expect((await publicApi('GET', '/v1/billing/success?session_id=cs_test_x', null)).status).toBe(401);
    const unsigned = await rawFetch('/v1/stripe/webhook', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"evt_x"}' });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as any).error.message).toContain('Stripe-Signature');
  });

  it('/openapi.json describes the Stripe routes', async () => {
    const doc = (await publicApi('GET', '/openapi.json', null)).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/billing/topup', '/v1/billing/success', '/v1/stripe/webhook', '/v1/billing/my-usage', '/internal/v1/usage']));
  });
});
