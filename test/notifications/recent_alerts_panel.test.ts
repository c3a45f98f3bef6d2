// The dashboard's "Recent alerts" panel: an admin sees the workspace's last 10 alert, warning and
// auto-recharge notifications (newest first, with their figures and whom they were emailed to);
// members do not see the panel; other notifications and other workspaces' never show.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { addMember, createWorkspace } from '../helpers/fixtures';
import { DashboardBrowser } from '../dashboard/dashboard_browser';
import { deliver, putEvent, recordingEmail, setEmailAdmins } from './notification_helpers';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

const panelOf = (text: string) => /<section class="card" id="recent-alerts"[\s\S]*?<\/section>/.exec(text)?.[0] ?? null;

describe('dashboard: recent alerts', () => {
  it('admins see the last 10 alerts newest first with their figures; members see no panel', async () => {
    const ws = await createWorkspace('Recent alerts');
    const member = await addMember(ws.workspaceId, 'member');
    const other = await createWorkspace('Recent alerts elsewhere');
    await setEmailAdmins(ws.workspaceId, true);

    const admin = await signedIn(ws.adminKey);
    expect(panelOf((await admin.page()).text)).toContain('No alerts yet.');

    const t0 = Date.now() - 3_600_000;
    await putEvent(ws.workspaceId, 'auto_recharge.failed', { transactionId: 'txn_d', attempt: 3, declineCode: 'insufficient_funds', disabled: true }, t0);
    for (let i = 0; i < 10; i++) await putEvent(ws.workspaceId, 'balance.threshold_crossed', { threshold: { balanceCents: 1000 }, balanceMicros: 9_000_000 - i * 100_000, hoursRemaining: 10 - i }, t0 + 1000 * (i + 1));
    const terminated = await putEvent(ws.workspaceId, 'instance.terminated', { instanceId: 'res_q' }, t0 + 20_000);
    await putEvent(other.workspaceId, 'balance.depleted', { balanceMicros: 0 }, t0 + 30_000);
    const latest = await putEvent(ws.workspaceId, 'auto_recharge.action_required', { transactionId: 'txn_3ds', actionUrl: 'https://stripe.example/confirm/pi_1' }, t0 + 40_000);
    await deliver({ ...env, PLATFORM_WEBHOOK_URL: undefined, EMAIL: recordingEmail().binding }, [latest.id, terminated.id]);

    const panel = panelOf((await admin.page()).text)!;
    const items = [...panel.matchAll(/<li data-type="([^"]+)">([\s\S]*?)<\/li>/g)];
    expect(items).toHaveLength(10);
    expect(items.map((m) => m[1])).toEqual(['auto_recharge.action_required', ...Array(9).fill('balance.threshold_crossed')]);
    // The oldest (the decline) and the non-alert instance.terminated are not among them.
    expect(panel).not.toContain('txn_d');
    expect(panel).not.toContain('instance.terminated');
    expect(items[0]![2]).toContain('Confirm your auto-recharge');
    expect(items[0]![2]).toContain('Confirm the payment: https://stripe.example/confirm/pi_1');
    expect(items[0]![2]).toContain('Emailed to 1 admin.');
    expect(items[1]![2]).toContain('Balance: $8.10');
    expect(items[1]![2]).toContain('Threshold: balance below $10.00');
    expect(items[1]![2]).not.toContain('Emailed to');

    const mine = await signedIn(member.apiKey);
    const memberPage = (await mine.page()).text;
    expect(memberPage).toContain('Your spend limit');
    expect(panelOf(memberPage)).toBeNull();
  });
});
