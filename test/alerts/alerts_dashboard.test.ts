// The dashboard's alerts panel: an admin sees and edits the settings (the same validation and storage
// as PUT /v1/billing/alerts); a member sees them read-only and cannot post the form.
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';
import { DashboardBrowser } from '../dashboard/dashboard_browser';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

const noRows = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [[`kind${i}`, 'none'], [`value${i}`, '']]).flat());

describe('dashboard: alerts', () => {
  it('an admin saves thresholds, the warning and email; bad input is an inline error; a member sees them read-only', async () => {
    const ws = await createWorkspace('Dashboard alerts');
    const admin = await signedIn(ws.adminKey);
    const page = await admin.page();
    expect(page.text).toContain('data-testid="alerts-form"');
    expect(page.text).toMatch(/id="alert-warning"[^>]*value="60"/);

    const saved = await admin.post('/dashboard/alerts', { ...noRows, csrf: page.csrf, kind0: 'balance', value0: '20.50', kind2: 'hours', value2: '12', warningMinutes: '30', emailAdmins: 'on' });
    expect(saved.status).toBe(303);
    expect((await publicApi('GET', '/v1/billing/alerts', ws.adminKey)).body).toMatchObject({
      thresholds: [{ balanceCents: 2050 }, { hoursRemaining: 12 }],
      terminationWarningMinutes: 30,
      emailAdmins: true,
    });
    const after = await admin.page();
    expect(after.text).toMatch(/id="alert-value-0"[^>]*value="20.50"/);
    expect(after.text).toMatch(/id="alert-value-1"[^>]*value="12"/);

    // Bad input: an inline error, what was typed kept, nothing changed.
    const bad = await admin.post('/dashboard/alerts', { ...noRows, csrf: page.csrf, kind0: 'balance', value0: '-3', warningMinutes: '30' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Alert 1: enter a balance in dollars');
    expect(bad.text).toMatch(/id="alert-value-0"[^>]*value="-3"/);
    const tooLong = await admin.post('/dashboard/alerts', { ...noRows, csrf: page.csrf, warningMinutes: '1441' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain('0 to 1440');
    const twice = await admin.post('/dashboard/alerts', { ...noRows, csrf: page.csrf, kind0: 'hours', value0: '2', kind1: 'hours', value1: '2', warningMinutes: '0' });
    expect(twice.status).toBe(400);
    expect(twice.text).toContain('listed twice');
    expect((await publicApi('GET', '/v1/billing/alerts', ws.adminKey)).body.terminationWarningMinutes).toBe(30);

    const member = await addMember(ws.workspaceId);
    const mine = await signedIn(member.apiKey);
    const own = await mine.page();
    expect(own.text).toContain('data-testid="alerts-readonly"');
    expect(own.text).toContain('Balance falls below $20.50');
    expect(own.text).toContain('Hours remaining fall below 12');
    expect(own.text).not.toContain('data-testid="alerts-form"');
    expect((await mine.post('/dashboard/alerts', { ...noRows, csrf: own.csrf, warningMinutes: '0' })).status).toBe(403);
    expect((await publicApi('GET', '/v1/billing/alerts', ws.adminKey)).body.terminationWarningMinutes).toBe(30);
  });
});
