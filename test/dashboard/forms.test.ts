import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace, grant } from '../helpers/fixtures';
import { deliver, eventFor, payCheckout } from '../stripe/stripe_helpers';
import { DashboardBrowser, historyRows } from './dashboard_browser';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

const deposits = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits/history?type=deposit', apiKey)).body.data as any[];

describe('dashboard forms: CSRF, roles, validation', () => {
  it('refuses a post without the CSRF token, with another token, or from another origin, and records nothing', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    const { csrf, formKey } = await browser.page();
    expect(csrf.length).toBeGreaterThan(20);
    const fields = { amount: '25', method: 'new', idempotencyKey: formKey };

    expect((await browser.post('/dashboard/topup', fields)).status).toBe(403);
    expect((await browser.post('/dashboard/topup', { ...fields, csrf: `${csrf.slice(0, -2)}xx` })).status).toBe(403);
    expect((await browser.post('/dashboard/topup', { ...fields, csrf }, { origin: 'https://evil.example' })).status).toBe(403);
    // Another session's token does not work in this one.
    const other = await signedIn(ws.adminKey);
    const otherCsrf = (await other.page()).csrf;
    expect(otherCsrf).not.toBe(csrf);
    expect((await browser.post('/dashboard/topup', { ...fields, csrf: otherCsrf })).status).toBe(403);
    expect(await deposits(ws.adminKey)).toHaveLength(0);
  });

  it('shows a below-minimum amount as an inline error on the field, and records nothing', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    const { csrf, formKey } = await browser.page();
    for (const [amount, message] of [
      ['4.99', 'The minimum is $5.00.'],
      ['abc', 'Enter an amount in dollars'],
      ['10000.01', 'The maximum is $10,000.00'],
    ] as const) {
      const res = await browser.post('/dashboard/topup', { csrf, idempotencyKey: formKey, amount, method: 'new' });
      expect(res.status).toBe(400);
      expect(res.text).toContain(`<p id="topup-amount-error" class="field-error" role="alert">${message}`);
      expect(res.text).toMatch(/id="topup-amount"[^>]*aria-describedby="topup-amount-hint topup-amount-error"[^>]*aria-invalid="true"/);
      // What was typed is kept, so it can be corrected.
      expect(res.text).toContain(`value="${amount}"`);
    }
    expect(await deposits(ws.adminKey)).toHaveLength(0);
  });

  it('sends an admin to Stripe Checkout with a pending deposit; a double submit is one deposit', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    const { csrf, formKey } = await browser.page();
    const fields = { csrf, idempotencyKey: formKey, amount: '25.50', method: 'new' };
    const first = await browser.post('/dashboard/topup', fields);
    expect(first.status).toBe(303);
    const checkoutUrl = first.headers.get('location')!;
    expect(checkoutUrl).toMatch(/\/c\/pay\/cs_test_/);
    const second = await browser.post('/dashboard/topup', fields);
    expect(second.headers.get('location')).toBe(checkoutUrl);

    const pending = await deposits(ws.adminKey);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ status: 'pending', amountMicros: 25_500_000, type: 'deposit' });
    const page = await browser.get('/dashboard');
    expect(historyRows(page.text).find((r) => r.type === 'deposit')).toMatchObject({ status: 'pending', amount: '+$25.50' });
    expect(page.text).toContain('data-pending="true"');
  });

  it('marks the deposit failed when the payer comes back from Checkout without paying (after a decline)', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    const { csrf, formKey } = await browser.page();
    const res = await browser.post('/dashboard/topup', { csrf, idempotencyKey: formKey, amount: '30', method: 'new' });
    const sessionId = res.headers.get('location')!.split('/').pop()!;
    const declined = await payCheckout(sessionId, '4000000000000002');
    expect(declined.status).toBeGreaterThanOrEqual(400);
    const [pending] = await deposits(ws.adminKey);
    expect(pending.status).toBe('pending');

    // The cancel link shows the notice and its button; the button (a guarded post) cancels.
    const cancelPath = `/dashboard?checkout=cancelled&txn=${pending.id}`;
    const landed = await browser.page(cancelPath);
    expect(landed.text).toContain('Cancel this top-up');
    expect((await deposits(ws.adminKey))[0].status).toBe('pending');
    const cancelled = await browser.post('/dashboard/checkout/cancel', { csrf: landed.csrf, txn: pending.id });
    expect(cancelled.headers.get('location')).toBe(cancelPath);
    const back = await browser.get(cancelPath);
    expect(back.text).toContain('The top-up is marked Failed.');
    expect(historyRows(back.text).find((r) => r.id === pending.id)).toMatchObject({ status: 'failed' });
    const [failed] = await deposits(ws.adminKey);
    expect(failed).toMatchObject({ id: pending.id, status: 'failed' });
    // The expired session's webhook, delivered later, changes nothing.
    expect((await deliver(await eventFor('checkout.session.expired', sessionId))).status).toBe(200);
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(0);
  });

  it('does not let a session cancel another workspace’s checkout', async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const bBrowser = await signedIn(b.adminKey);
    const bPage = await bBrowser.page();
    await bBrowser.post('/dashboard/topup', { csrf: bPage.csrf, idempotencyKey: bPage.formKey, amount: '20', method: 'new' });
    const [bDeposit] = await deposits(b.adminKey);

    const aBrowser = await signedIn(a.adminKey);
    const page = await aBrowser.page(`/dashboard?checkout=cancelled&txn=${bDeposit.id}`);
    expect(page.text).not.toContain('marked Failed');
    expect(page.text).not.toContain('Cancel this top-up');
    expect(page.text).not.toContain(bDeposit.id);
    // Posting the other workspace's deposit to the cancel form (with a's valid token) does nothing.
    const posted = await aBrowser.post('/dashboard/checkout/cancel', { csrf: page.csrf, txn: bDeposit.id });
    expect(posted.status).toBe(303);
    expect((await aBrowser.get(posted.headers.get('location')!)).text).not.toContain('marked Failed');
    expect((await deposits(b.adminKey))[0].status).toBe('pending');
  });

  it('pays with the saved card in one step once a card is saved', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    let page = await browser.page();
    // No card yet: only the Checkout choice.
    expect(page.text).not.toContain('value="saved"');
    const first = await browser.post('/dashboard/topup', { csrf: page.csrf, idempotencyKey: page.formKey, amount: '25', method: 'new' });
    const sessionId = first.headers.get('location')!.split('/').pop()!;
    expect((await payCheckout(sessionId)).status).toBe(200);
    expect((await deliver(await eventFor('checkout.session.completed', sessionId))).status).toBe(200);

    page = await browser.page();
    expect(page.text).toContain('Saved card: Visa •••• 4242');
    const saved = await browser.post('/dashboard/topup', { csrf: page.csrf, idempotencyKey: page.formKey, amount: '10', method: 'saved' });
    expect(saved.status).toBe(303);
    const after = await browser.get(saved.headers.get('location')!);
    expect(after.text).toContain('Added $10.00 with the saved card.');
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros).toBe(35_000_000);
    const rows = historyRows(after.text).filter((r) => r.type === 'deposit');
    expect(rows.map((r) => [r.status, r.amount])).toEqual([
      ['completed', '+$10.00'],
      ['completed', '+$25.00'],
    ]);
    expect(rows[1]!.invoiceUrl).toMatch(/\/invoices\/in_/);
  });

  it('round-trips the auto-recharge form; enabling without a card is an inline error', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    const { csrf } = await browser.page();
    const refused = await browser.post('/dashboard/auto-recharge', { csrf, enabled: 'on', threshold: '15', amount: '50' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('Add credits with a card first');
    const bad = await browser.post('/dashboard/auto-recharge', { csrf, threshold: '15', amount: '2' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('between $5.00 and $10,000.00');

    const saved = await browser.post('/dashboard/auto-recharge', { csrf, threshold: '12.50', amount: '40' });
    expect(saved.status).toBe(303);
    const page = await browser.get(saved.headers.get('location')!);
    expect(page.text).toContain('Auto-recharge settings saved.');
    expect(page.text).toMatch(/id="auto-threshold"[^>]*value="12\.50"/);
    const api = await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey);
    expect(api.body).toMatchObject({ enabled: false, thresholdCents: 1250, topupAmountCents: 4000 });
  });

  it('gives members a read-only view: no Add Credits form, settings as text, posts refused', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 5_000_000);
    const member = await addMember(ws.workspaceId, 'member');
    const browser = await signedIn(member.apiKey);
    const page = await browser.page();
    expect(page.text).toContain('data-testid="auto-recharge-readonly"');
    expect(page.text).not.toContain('data-testid="auto-recharge-form"');
    expect(page.text).not.toContain('data-testid="topup-form"');
    expect(page.text).toContain('Only workspace admins can add credits.');
    expect(page.text).not.toContain('data-testid="member-usage"');
    expect(page.text).toMatch(/data-testid="balance">\$5\.00</);

    const topup = await browser.post('/dashboard/topup', { csrf: page.csrf, amount: '25', method: 'new', idempotencyKey: 'x'.repeat(20) });
    expect(topup.status).toBe(403);
    const auto = await browser.post('/dashboard/auto-recharge', { csrf: page.csrf, threshold: '1', amount: '5' });
    expect(auto.status).toBe(403);
    expect(await deposits(ws.adminKey)).toHaveLength(0);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.thresholdCents).toBe(1000);
  });
});
