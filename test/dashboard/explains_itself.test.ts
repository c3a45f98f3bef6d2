// The dashboard explains itself (issue 27): the burn rate split into what runs now and recent
// usage, a red low-balance state with the time it runs out, pending top-ups apart from credited
// money (and cancellable from their row), and a By-member table that adds up to the workspace,
// whose total is the spend chart's.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, grant } from '../helpers/fixtures';
import { topup } from '../stripe/stripe_helpers';
import { DashboardBrowser, historyRows } from './dashboard_browser';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

const attr = (html: string, testid: string, name: string) => html.match(new RegExp(`data-testid="${testid}"[^>]*?${name}="(-?\\d+)"|${name}="(-?\\d+)"[^>]*?data-testid="${testid}"`))?.slice(1).find(Boolean);

describe('the dashboard explains itself', () => {
  it('splits the burn rate into what runs now (listed with rates) and recent usage, and it says so after every instance stopped', async () => {
    const ws = await createWorkspace('Burn split');
    await grant(ws.workspaceId, 20_000_000);
    // gpu-a10g: $1.10 an hour.
    expect((await internal('POST', '/internal/v1/resources', { id: 'res_split_gpu', workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'gpu-a10g' })).status).toBe(201);
    const at = new Date(Date.now() - 1000).toISOString();
    await internal('POST', '/internal/v1/usage', { events: [{ id: 'split-tokens', workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o-mini', inputTokens: 1_000_000, outputTokens: 0, occurredAt: at }] });
    const browser = await signedIn(ws.adminKey);

    const running = (await browser.get('/dashboard')).text;
    expect(running).toContain('data-testid="burn-split"');
    expect(running).toMatch(/data-resource-id="res_split_gpu" data-micros-per-hour="1100000">[\s\S]*?Instance gpu-a10g[\s\S]*?\$1\.10\/hour/);
    expect(attr(running, 'running-rate', 'data-micros-per-hour')).toBe('1100000');
    expect(Number(attr(running, 'recent-rate', 'data-micros-per-hour'))).toBeGreaterThan(0);
    expect(running).toContain('They cost this every hour until they are stopped.');

    expect((await internal('POST', '/internal/v1/resources/res_split_gpu/stop', {})).status).toBe(200);
    const stopped = (await browser.get('/dashboard')).text;
    expect(stopped).toContain('data-testid="running-none">Nothing is running.');
    expect(attr(stopped, 'running-rate', 'data-micros-per-hour')).toBe('0');
    // The burn rate left is the trailing hour of tokens, and the page says that is what it is.
    expect(Number(attr(stopped, 'recent-rate', 'data-micros-per-hour'))).toBeGreaterThan(0);
    expect(stopped).toContain('Model tokens, tool runs and charges of the last hour.');
  });

  it('turns the time remaining red under two hours and says when the balance runs out', async () => {
    const ws = await createWorkspace('Low balance');
    // $1.00 at $1.10 an hour: about 54 minutes.
    await grant(ws.workspaceId, 1_000_000);
    expect((await internal('POST', '/internal/v1/resources', { id: 'res_low_gpu', workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'gpu-a10g' })).status).toBe(201);
    const page = (await (await signedIn(ws.adminKey)).get('/dashboard')).text;
    expect(page).toMatch(/class="metric metric-danger" data-testid="hours-remaining-metric" data-state="critical"/);
    expect(page).toMatch(/data-testid="hours-remaining">5\d min</);
    expect(page).toMatch(/data-testid="runs-out-at">Runs out at (\d{4}-\d{2}-\d{2} )?\d{2}:\d{2} UTC</);
  });

  it('shows a pending top-up as pending (neutral, not in the balance) with a Cancel in its row', async () => {
    const ws = await createWorkspace('Pending top-up');
    await grant(ws.workspaceId, 3_000_000);
    const created = await topup(ws.adminKey, 5000);
    expect(created.status).toBe(201);
    const browser = await signedIn(ws.adminKey);
    const { text, csrf } = await browser.page();
    const row = historyRows(text).find((r) => r.id === created.body.transactionId)!;
    expect(row).toMatchObject({ status: 'pending', amount: '+$50.00' });
    const rowHtml = text.slice(text.indexOf(`data-transaction-id="${created.body.transactionId}"`));
    expect(rowHtml.slice(0, 2000)).toMatch(/class="amount cell-amount amount-pending"/);
    expect(rowHtml.slice(0, 2000)).toContain('not in balance yet');
    expect(rowHtml.slice(0, 2000)).toContain('data-testid="cancel-pending-form"');
    expect(text).toMatch(/data-testid="balance">\$3\.00</);
    expect(text).toContain('data-testid="pending-note">$50.00 pending, added once paid');

    const cancelled = await browser.post('/dashboard/checkout/cancel', { csrf, txn: created.body.transactionId, back: 'history' });
    expect([cancelled.status, cancelled.headers.get('location')]).toEqual([303, '/dashboard#history']);
    const after = await publicApi('GET', `/v1/billing/transactions/${created.body.transactionId}`, ws.adminKey);
    expect(after.body.status).toBe('failed');
    const again = (await browser.get('/dashboard')).text;
    expect(again).not.toContain('data-testid="cancel-pending-form"');
  });

  it('has an Unattributed row in By member, the rows add up to the workspace, and that is the spend chart total', async () => {
    const ws = await createWorkspace('Adds up');
    await grant(ws.workspaceId, 10_000_000);
    const at = new Date(Date.now() - 1000).toISOString();
    await internal('POST', '/internal/v1/usage', {
      events: [
        { id: 'up-1', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, type: 'model', model: 'claude-sonnet-4', inputTokens: 12_345, outputTokens: 678, occurredAt: at },
        { id: 'up-2', workspaceId: ws.workspaceId, type: 'tool_execution', occurredAt: at },
      ],
    });
    await internal('POST', '/internal/v1/deductions', { id: 'up-3', workspaceId: ws.workspaceId, amountMicros: 333_333, description: 'Platform charge' });
    const page = (await (await signedIn(ws.adminKey)).get('/dashboard')).text;
    const memberTotals = [...page.matchAll(/data-testid="member-row" data-member-id="[^"]+" data-total-micros="(\d+)"/g)].map((m) => Number(m[1]));
    const unattributed = Number(page.match(/data-testid="unattributed-row" data-total-micros="(\d+)"/)?.[1]);
    const workspace = Number(page.match(/data-testid="member-total-row" data-total-micros="(\d+)"/)?.[1]);
    expect(unattributed).toBe(333_333 + 1000);
    expect(memberTotals.reduce((a, b) => a + b, unattributed)).toBe(workspace);
    expect(Number(attr(page, 'usage-total', 'data-total-micros'))).toBe(workspace);
    expect(Number(attr(page, 'spend-total', 'data-total-micros'))).toBe(workspace);
    // Model names break after their separators only.
    expect(page).toContain('claude-<wbr>sonnet-<wbr>4');
  });
});
