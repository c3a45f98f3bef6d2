// The dashboard's Cards section: the list from Stripe (brand, last 4, expiry, default badge), and
// the admin's forms to add a card, choose the default and remove one (CSRF, roles, tenancy).
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { addMember } from '../helpers/fixtures';
import { deliver, eventFor, payCheckout, workspaceWithSavedCard } from '../stripe/stripe_helpers';
import { DashboardBrowser } from './dashboard_browser';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

/** The cards as the page lists them. */
const shownCards = (html: string) =>
  [...html.matchAll(/<li class="saved-card" data-testid="saved-card" data-card-id="([^"]+)">([\s\S]*?)<\/li>/g)].map((m) => ({
    id: m[1]!,
    label: m[2]!.match(/class="card-label">([^<]+)/)?.[1] ?? '',
    expires: m[2]!.match(/expires (\d\d\/\d{4})/)?.[1] ?? '',
    isDefault: m[2]!.includes('data-testid="default-badge"'),
    canRemove: m[2]!.includes(`action="/dashboard/cards/${m[1]}/remove"`),
    canMakeDefault: m[2]!.includes(`action="/dashboard/cards/${m[1]}/default"`),
  }));

const apiCards = async (apiKey: string) => (await publicApi('GET', '/v1/billing/payment-methods', apiKey)).body.data as Array<{ id: string; last4: string; default: boolean }>;

/** A second card added through setup-mode Checkout (it becomes the default). */
async function addMastercard(apiKey: string) {
  const created = await publicApi('POST', '/v1/billing/payment-methods', apiKey);
  const paid = await payCheckout(created.body.sessionId, '5555555555554444');
  expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
  return paid.body.setup_intent.payment_method as string;
}

describe('dashboard cards', () => {
  it('lists the cards with expiry and the default badge; an admin makes another the default and removes one', async () => {
    const ws = await workspaceWithSavedCard('Dashboard cards');
    const mastercard = await addMastercard(ws.adminKey);
    const browser = await signedIn(ws.adminKey);
    const { text, csrf } = await browser.page();
    expect(shownCards(text)).toEqual([
      { id: mastercard, label: 'Mastercard •••• 4444', expires: expect.stringMatching(/^\d\d\/20\d\d$/), isDefault: true, canRemove: true, canMakeDefault: false },
      { id: ws.paymentMethodId, label: 'Visa •••• 4242', expires: expect.stringMatching(/^\d\d\/20\d\d$/), isDefault: false, canRemove: true, canMakeDefault: true },
    ]);

    const made = await browser.post(`/dashboard/cards/${ws.paymentMethodId}/default`, { csrf });
    expect([made.status, made.headers.get('location')]).toEqual([303, '/dashboard?cards=default#cards']);
    expect((await apiCards(ws.adminKey)).map((c) => [c.id, c.default])).toEqual([
      [mastercard, false],
      [ws.paymentMethodId, true],
    ]);
    const after = await browser.get('/dashboard?cards=default');
    expect(after.text).toContain('Default card changed');
    expect(shownCards(after.text).find((c) => c.isDefault)?.id).toBe(ws.paymentMethodId);

    const removed = await browser.post(`/dashboard/cards/${mastercard}/remove`, { csrf });
    expect([removed.status, removed.headers.get('location')]).toEqual([303, '/dashboard?cards=removed#cards']);
    expect((await apiCards(ws.adminKey)).map((c) => c.id)).toEqual([ws.paymentMethodId]);

    // The last card cannot go while auto-recharge is on: 409, shown on the page, nothing removed.
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 500, topupAmountCents: 2500 })).status).toBe(200);
    const refused = await browser.post(`/dashboard/cards/${ws.paymentMethodId}/remove`, { csrf });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('turn auto-top-up off first');
    expect((await apiCards(ws.adminKey)).map((c) => c.id)).toEqual([ws.paymentMethodId]);
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: false, thresholdCents: 500, topupAmountCents: 2500 })).status).toBe(200);
    expect((await browser.post(`/dashboard/cards/${ws.paymentMethodId}/remove`, { csrf })).status).toBe(303);
    const empty = await browser.get('/dashboard');
    expect(shownCards(empty.text)).toEqual([]);
    expect(empty.text).toContain('data-testid="no-cards"');
  });

  it('Add a card sends an admin to Stripe Checkout in setup mode', async () => {
    const ws = await workspaceWithSavedCard('Dashboard add card');
    const browser = await signedIn(ws.adminKey);
    const { text, csrf } = await browser.page();
    expect(text).toContain('data-testid="card-add-form"');
    const res = await browser.post('/dashboard/cards', { csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/\/c\/pay\/cs_test_/);
  });

  it('refuses posts without the CSRF token or from another origin, and changes nothing', async () => {
    const ws = await workspaceWithSavedCard('Dashboard cards CSRF');
    const mastercard = await addMastercard(ws.adminKey);
    const browser = await signedIn(ws.adminKey);
    const { csrf } = await browser.page();
    expect((await browser.post(`/dashboard/cards/${ws.paymentMethodId}/default`, {})).status).toBe(403);
    expect((await browser.post(`/dashboard/cards/${ws.paymentMethodId}/default`, { csrf: `${csrf.slice(0, -2)}xx` })).status).toBe(403);
    expect((await browser.post(`/dashboard/cards/${mastercard}/remove`, { csrf }, { origin: 'https://evil.example' })).status).toBe(403);
    // Without a session: back to sign-in, nothing done.
    expect((await new DashboardBrowser().post(`/dashboard/cards/${mastercard}/remove`, { csrf })).status).toBe(303);
    expect((await apiCards(ws.adminKey)).map((c) => [c.id, c.default])).toEqual([
      [mastercard, true],
      [ws.paymentMethodId, false],
    ]);
  });

  it('members see the list read-only and cannot change it', async () => {
    const ws = await workspaceWithSavedCard('Dashboard cards member');
    const member = await addMember(ws.workspaceId, 'member');
    const browser = await signedIn(member.apiKey);
    const { text, csrf } = await browser.page();
    expect(shownCards(text)).toEqual([expect.objectContaining({ id: ws.paymentMethodId, isDefault: true, canRemove: false, canMakeDefault: false })]);
    expect(text).not.toContain('data-testid="card-add-form"');
    expect(text).toContain('Only workspace admins can change cards.');
    const res = await browser.post(`/dashboard/cards/${ws.paymentMethodId}/remove`, { csrf });
    expect(res.status).toBe(403);
    expect(res.text).toContain('Admins only');
    expect((await browser.post('/dashboard/cards', { csrf })).status).toBe(403);
    expect((await apiCards(ws.adminKey)).map((c) => c.id)).toEqual([ws.paymentMethodId]);
  });

  it("another workspace's card, or no card id at all, is a 404 and changes nothing", async () => {
    const a = await workspaceWithSavedCard('Dashboard cards A');
    const b = await workspaceWithSavedCard('Dashboard cards B');
    const browser = await signedIn(b.adminKey);
    const { csrf } = await browser.page();
    for (const path of [`/dashboard/cards/${a.paymentMethodId}/default`, `/dashboard/cards/${a.paymentMethodId}/remove`, '/dashboard/cards/pm_doesnotexist/remove', '/dashboard/cards/not-a-card/default']) {
      const res = await browser.post(path, { csrf });
      expect(res.status, path).toBe(404);
      expect(res.text).toContain('No such card');
    }
    expect((await apiCards(a.adminKey)).map((c) => [c.id, c.default])).toEqual([[a.paymentMethodId, true]]);
    expect((await apiCards(b.adminKey)).map((c) => [c.id, c.default])).toEqual([[b.paymentMethodId, true]]);
  });
});
