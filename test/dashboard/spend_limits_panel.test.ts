// The dashboard's held credits and spend-limits panel: admins see and change every member's limit,
// members see their own.
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace, grant } from '../helpers/fixtures';
import { createHold, CREDIT } from '../holds/holds_helpers';
import { DashboardBrowser } from './dashboard_browser';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

describe('dashboard: held credits and spend limits', () => {
  it('shows held credits; an admin sets, changes and removes a member\'s limit; the member sees their own', async () => {
    const ws = await createWorkspace('Dashboard limits');
    const member = await addMember(ws.workspaceId);
    await grant(ws.workspaceId, 10 * CREDIT);
    await createHold({ workspaceId: ws.workspaceId, memberId: member.memberId, amountMicros: 1_500_000 });

    const admin = await signedIn(ws.adminKey);
    const page = await admin.page();
    expect(page.text).toContain('data-testid="held">$1.50');
    expect(page.text).toContain('data-testid="held-credits">$1.50 is held');
    expect(page.text).toContain(`<tr data-member="${member.memberId}">`);

    const saved = await admin.post('/dashboard/spend-limits', { csrf: page.csrf, memberId: member.memberId, limit: '20.50', period: 'day', action: 'save' });
    expect(saved.status).toBe(303);
    expect((await publicApi('GET', '/v1/billing/spend-limits', ws.adminKey)).body.data).toEqual([
      expect.objectContaining({ memberId: member.memberId, limitMicros: 20_500_000, period: 'day', heldMicros: 1_500_000, remainingMicros: 19_000_000 }),
    ]);
    const after = await admin.page();
    expect(after.text).toMatch(new RegExp(`data-member="${member.memberId}">[\\s\\S]*?\\$20\\.50 per UTC day[\\s\\S]*?\\$19\\.00`));

    // Bad input is an inline notice, nothing changed.
    const bad = await admin.post('/dashboard/spend-limits', { csrf: page.csrf, memberId: member.memberId, limit: '0', period: 'day', action: 'save' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Enter a limit in dollars above $0.00');
    const outsider = await addMember((await createWorkspace('Other')).workspaceId);
    expect((await admin.post('/dashboard/spend-limits', { csrf: page.csrf, memberId: outsider.memberId, limit: '5', period: 'day', action: 'save' })).status).toBe(400);

    // The member sees their own limit, and cannot change it.
    const mine = await signedIn(member.apiKey);
    const own = await mine.page();
    expect(own.text).toContain('data-testid="limit-remaining">$19.00');
    expect(own.text).not.toContain('spend-limit-form');
    expect((await mine.post('/dashboard/spend-limits', { csrf: own.csrf, memberId: member.memberId, limit: '100', period: 'month', action: 'save' })).status).toBe(403);

    expect((await admin.post('/dashboard/spend-limits', { csrf: page.csrf, memberId: member.memberId, action: 'remove' })).status).toBe(303);
    expect((await publicApi('GET', '/v1/billing/spend-limits', ws.adminKey)).body.data).toEqual([]);
    expect((await mine.page()).text).toContain('No spend limit is set for you.');
  });
});
