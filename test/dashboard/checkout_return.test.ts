import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';
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
    expect(back.text).toContain('Payment completed: $25.00 added to your balance.');
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

  it('Replace card sends an admin to setup-mode Checkout; the new card becomes the default on return', async () => {
    const ws = await workspaceWithSavedCard('Return card');
    const browser = await signedIn(ws.adminKey);
    const page = await browser.page();
    expect(page.text).toContain('Replace card');
    const started = await browser.post('/dashboard/cards', { csrf: page.csrf });
    expect(started.status).toBe(303);
    const sessionId = started.headers.get('location')!.split('/').pop()!;
    expect(sessionId).toMatch(/^cs_test_/);
    const paid = await payCheckout(sessionId, '5555555555554444');
    expect(paid.body.status).toBe('set_up');
    const back = await browser.get(`/dashboard?checkout=card_saved&session_id=${sessionId}`);
    expect(back.text).toContain('Card saved');
    expect((await stripeCustomerRow(ws.workspaceId))?.paymentMethodId).toBe(paid.body.setup_intent.payment_method);
    expect(back.text).toContain('4444');
    // A session of another workspace on the same return URL changes nothing here.
    const other = await workspaceWithSavedCard('Return card, other');
    const otherBrowser = await signedIn(other.adminKey);
    const foreign = await otherBrowser.get(`/dashboard?checkout=card_saved&session_id=${sessionId}`);
    expect(foreign.text).not.toContain('Card saved');
    expect((await stripeCustomerRow(other.workspaceId))?.paymentMethodId).toBe(other.paymentMethodId);
  });

  it('members cannot start a card setup', async () => {
    const ws = await createWorkspace('Member cards');
    const member = await addMember(ws.workspaceId, 'member');
    const browser = await signedIn(member.apiKey);
    const page = await browser.page();
    expect(page.text).not.toContain('Replace card');
    expect((await browser.post('/dashboard/cards', { csrf: page.csrf })).status).toBe(403);
  });
});
