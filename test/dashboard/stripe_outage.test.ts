// Issue 23, 4: the dashboard is the ledger's page, not Stripe's. With the Stripe customer deleted
// (listing its cards is "No such customer") or Stripe slow, the page still answers 200 at once with
// the balance and history; only the Cards panel says the cards are unavailable right now.
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR, stripeCall, workspaceWithSavedCard } from '../stripe/stripe_helpers';
import { DashboardBrowser } from './dashboard_browser';

const UNAVAILABLE = 'Cards are unavailable right now';

/** The Cards section of a page. */
const cardsPanel = (html: string) => html.match(/<section class="card" id="cards"[\s\S]*?<\/section>/)?.[0] ?? '';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Stripe's API (the emulator) answers nothing for `holdMs`: a request waits until then or until it is aborted. */
function stripeHangs(holdMs: number) {
  const asked: string[] = [];
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(`${EMULATOR}/v1/`)) return realFetch(input, init);
    asked.push(url);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, holdMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason ?? new DOMException('aborted', 'AbortError'));
      });
    });
    return realFetch(input, init);
  };
  return asked;
}

describe('the dashboard without Stripe', () => {
  it('the Stripe customer deleted: 200 with balance and history; the Cards panel says unavailable right now', async () => {
    const ws = await workspaceWithSavedCard('Dashboard customer deleted');
    expect((await stripeCall(`/v1/customers/${ws.customerId}`, {}, 'DELETE')).status).toBe(200);
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const page = await browser.get('/dashboard');
    expect(page.status).toBe(200);
    expect(page.text).toContain('$20.00'); // the balance, from the ledger
    expect(page.text).toContain('Credit top-up ($20.00)'); // the history
    expect(cardsPanel(page.text)).toContain(UNAVAILABLE);
    expect(page.text).not.toContain('No such customer');
  });

  it('Stripe slow: the page answers within a few seconds (not 20), Cards unavailable, the rest rendered', async () => {
    const ws = await workspaceWithSavedCard('Dashboard Stripe slow');
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const asked = stripeHangs(25_000);
    const startedAtMs = Date.now();
    const page = await browser.get('/dashboard');
    const tookMs = Date.now() - startedAtMs;
    expect(asked.length).toBeGreaterThan(0); // Stripe was asked, and did not answer in time
    expect(page.status).toBe(200);
    expect(tookMs).toBeLessThan(6_000);
    expect(page.text).toContain('$20.00');
    expect(cardsPanel(page.text)).toContain(UNAVAILABLE);
  });

  it('Stripe slow on the return from Checkout: the page still answers within a few seconds, the payment as the ledger has it', async () => {
    const ws = await workspaceWithSavedCard('Dashboard slow return');
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const sessions = (await stripeCall(`/v1/checkout/sessions?customer=${ws.customerId}`, {}, 'GET')).body.data as Array<{ id: string }>;
    stripeHangs(25_000);
    const startedAtMs = Date.now();
    const page = await browser.get(`/dashboard?checkout=success&session_id=${sessions[0]!.id}`);
    expect(page.status).toBe(200);
    // Two Stripe calls at most (the session's check, the cards), side by side or one after the other.
    expect(Date.now() - startedAtMs).toBeLessThan(9_000);
    expect(page.text).toContain('Payment completed: $20.00 added');
    expect(cardsPanel(page.text)).toContain(UNAVAILABLE);
  });
});
