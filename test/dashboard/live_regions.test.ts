// What the dashboard's live updates carry: the notice about a returned payment and the saved card
// follow the ledger without a reload; the CSV download uses the session.
import { describe, expect, it } from 'vitest';
import { createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import { deliver, eventFor, payCheckout } from '../stripe/stripe_helpers';
import { fnv1a } from '../../workers/dashboard/dashboard_assets';
import { DashboardBrowser } from './dashboard_browser';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

const regionOf = (html: string, id: string) => {
  const match = new RegExp(`<(div|span) id="${id}" data-live-hash="([^"]+)"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return match ? { hash: match[2]!, markup: match[3]! } : null;
};

describe('live regions after a Checkout payment', () => {
  it('turns the notice from Pending to completed and shows the saved card, through /dashboard/live', async () => {
    const ws = await createWorkspace();
    const browser = await signedIn(ws.adminKey);
    const { csrf, formKey } = await browser.page();
    const started = await browser.post('/dashboard/topup', { csrf, idempotencyKey: formKey, amount: '25', method: 'new' });
    const sessionId = started.headers.get('location')!.split('/').pop()!;
    const returnPath = `/dashboard?checkout=success&session_id=${sessionId}`;

    const landed = await browser.get(returnPath);
    expect(landed.text).toContain('Payment submitted. The deposit shows as Pending');
    expect(landed.text).toContain('data-pending="true"');
    // The live URL keeps the payment, so the notice can follow it; the card is not saved yet.
    expect(landed.text).toContain(`data-live-url="/dashboard/live?checkout=success&amp;session_id=${sessionId}"`);
    expect(regionOf(landed.text, 'auto-recharge-card')?.markup).toBe('none saved yet');
    expect(regionOf(landed.text, 'topup-saved-card')?.markup).toBe('');
    // Each region's hash is that of its markup: app.js swaps a region only when the server's differs.
    const notice = regionOf(landed.text, 'notice-region')!;
    expect(notice.hash).toBe(fnv1a(notice.markup));

    const before = JSON.parse((await browser.get(`/dashboard/live?checkout=success&session_id=${sessionId}`)).text);
    expect(before.pending).toBe(true);
    expect(before.regions['notice-region']).toBe(notice.markup);

    expect((await payCheckout(sessionId)).status).toBe(200);
    expect((await deliver(await eventFor('checkout.session.completed', sessionId))).status).toBe(200);

    const after = JSON.parse((await browser.get(`/dashboard/live?checkout=success&session_id=${sessionId}`)).text);
    expect(after.pending).toBe(false);
    expect(after.regions['notice-region']).toContain('Payment completed: $25.00 added to your balance.');
    expect(after.regions['notice-region']).toContain('data-notice-status="completed"');
    expect(after.regions['notice-region']).not.toContain('Pending');
    expect(after.regions['auto-recharge-card']).toBe('Visa •••• 4242');
    expect(after.regions['topup-saved-card']).toContain('Saved card: Visa •••• 4242');
    expect(fnv1a(after.regions['notice-region'])).not.toBe(notice.hash);
    // A reload says the same as the live region.
    expect((await browser.get(returnPath)).text).toContain('Payment completed: $25.00 added to your balance.');
  });

  it("never describes another workspace's Checkout session", async () => {
    const a = await createWorkspace();
    const b = await createWorkspace();
    const bBrowser = await signedIn(b.adminKey);
    const bPage = await bBrowser.page();
    const started = await bBrowser.post('/dashboard/topup', { csrf: bPage.csrf, idempotencyKey: bPage.formKey, amount: '20', method: 'new' });
    const sessionId = started.headers.get('location')!.split('/').pop()!;
    await payCheckout(sessionId);
    await deliver(await eventFor('checkout.session.completed', sessionId));

    const aLive = JSON.parse((await (await signedIn(a.adminKey)).get(`/dashboard/live?checkout=success&session_id=${sessionId}`)).text);
    expect(aLive.regions['notice-region']).toContain('data-notice-status="unknown"');
    expect(aLive.regions['notice-region']).not.toContain('$20.00');
  });
});

describe('GET /dashboard/history.csv', () => {
  it('downloads the session workspace history with the page filters; 401 without a session', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 5_000_000, unique('dash-csv-grant'));
    expect((await deduct(ws.workspaceId, 412_300, unique('dash-csv-charge'), '@risky, "quoted"')).status).toBe(201);
    const browser = await signedIn(ws.adminKey);

    const page = await browser.get('/dashboard?type=usage');
    expect(page.text).toMatch(/<a class="button button-secondary" href="\/dashboard\/history\.csv\?type=usage" download data-testid="download-csv">Download CSV/);

    const all = await browser.get('/dashboard/history.csv');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(all.headers.get('content-disposition')).toMatch(/^attachment; filename="burnrate-history-ws_[a-z0-9]+-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = all.text.split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(`,usage,completed,"'@risky, ""quoted""",-0.412300,4.587700,0.000000,`);
    expect(lines[2]).toContain(',adjustment,completed,Test grant,5.000000,5.000000,0.000000,');

    const usage = await browser.get('/dashboard/history.csv?type=usage');
    expect(usage.headers.get('content-disposition')).toContain('-usage.csv"');
    expect(usage.text.split('\r\n')).toHaveLength(3);

    expect((await new DashboardBrowser().get('/dashboard/history.csv')).status).toBe(401);
  });
});
