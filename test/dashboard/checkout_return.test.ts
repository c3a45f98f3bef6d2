import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';
import { deliver, eventFor, payCheckout, stripeCustomerRow, workspaceWithSavedCard } from '../stripe/stripe_helpers';
import { DashboardBrowser, historyRows } from './dashboard_browser';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

describe('returning to the dashboard from Checkout', () => {
  it('a paid top-up is credited on return, before any webhook, and the late webhook changes nothing', async () => {
    const ws = await createWorkspace('Return credits');
    const browser = await signedIn(ws.adminKey);
    const page = await browser.page();
    const started = await browser.post('/dashboard/topup', { csrf: page.csrf, idempotencyKey: page.formKey, amount: '25', method: 'new' });
    const sessionId = started.headers.get('location')!.split('/').pop()!;
    expect((await payCheckout(sessionId)).status).toBe(200);

    const back = await browser.get(`/dashboard?checkout=success&session_id=${sessionId}`);
    expect(back.text).toContain('Payment received');
    expect(historyRows(back.text).filter((r) => r.type === 'deposit').map((r) => [r.status, r.amount])).toEqual([['completed', '+$25.00']]);
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(25_000_000);

    expect((await deliver(await eventFor('checkout.session.completed', sessionId))).status).toBe(200);
    await browser.get(`/dashboard?checkout=success&session_id=${sessionId}`);
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(25_000_000);
  });

  it("another workspace's session on the return URL credits nothing", async () => {
    const a = await createWorkspace('Return A');
    const b = await signedIn((await createWorkspace('Return B')).adminKey);
    const aBrowser = await signedIn(a.adminKey);
    const page = await aBrowser.page();
    const started = await aBrowser.post('/dashboard/topup', { csrf: page.csrf, idempotencyKey: page.formKey, amount: '25', method: 'new' });
    const sessionId = started.headers.get('location')!.split('/').pop()!;
    await payCheckout(sessionId);
    const seen = await b.get(`/dashboard?checkout=success&session_id=${sessionId}`);
    expect(seen.text).toContain('Payment submitted');
    expect((await publicApi('GET', '/v1/billing/credits/history?type=deposit', a.adminKey)).body.data[0].status).toBe('pending');
  });

  it('a card saved through setup-mode Checkout becomes the default on return', async () => {
    const ws = await workspaceWithSavedCard('Return card');
    const created = await publicApi('POST', '/v1/billing/payment-methods', ws.adminKey);
    const paid = await payCheckout(created.body.sessionId, '5555555555554444');
    const browser = await signedIn(ws.adminKey);
    const back = await browser.get(`/dashboard?checkout=card_saved&session_id=${created.body.sessionId}`);
    expect(back.text).toContain('Card saved');
    expect((await stripeCustomerRow(ws.workspaceId))?.paymentMethodId).toBe(paid.body.setup_intent.payment_method);
    expect(back.text).toContain('4444');
  });
});
