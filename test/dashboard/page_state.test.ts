import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace, drainToZero, grant } from '../helpers/fixtures';
import { DashboardBrowser, historyRows } from './dashboard_browser';

async function signedIn(apiKey: string) {
  const browser = new DashboardBrowser();
  await browser.signIn(apiKey);
  return browser;
}

describe('dashboard page state', () => {
  it('says when instances were terminated and storage suspended at zero balance, and offers Add Credits', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 2_000_000);
    expect((await internal('POST', '/internal/v1/resources', { id: 'res_dash_vm_1', workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'cpu-small' })).status).toBe(201);
    expect((await internal('POST', '/internal/v1/resources', { id: 'res_dash_vol_1', workspaceId: ws.workspaceId, kind: 'volume', sizeBytes: 10_000_000_000 })).status).toBe(201);
    const browser = await signedIn(ws.adminKey);
    const healthy = await browser.get('/dashboard');
    expect(healthy.text).not.toContain('data-testid="zero-balance-banner"');

    await drainToZero(ws.workspaceId);
    expect((await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/storage-quota`)).body.accessible).toBe(false);

    const page = await browser.get('/dashboard');
    expect(page.text).toContain('data-testid="zero-balance-banner"');
    expect(page.text).toContain('Running instances were terminated');
    expect(page.text).toContain('Storage volumes are inaccessible, but nothing was deleted');
    expect(page.text).toContain('href="#add-credits"');
    expect(page.text).toMatch(/data-testid="balance">\$0\.00</);
  });

  it('warns when less than 24 hours remain, and shows the burn rate and accumulating amount', async () => {
    const ws = await createWorkspace();
    // gpu-a10g burns $1.10 an hour: $5 lasts about 4 h 30 min.
    await grant(ws.workspaceId, 5_000_000);
    expect((await internal('POST', '/internal/v1/resources', { id: 'res_dash_gpu_1', workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'gpu-a10g' })).status).toBe(201);
    const page = await (await signedIn(ws.adminKey)).get('/dashboard');
    expect(page.text).toMatch(/data-testid="burn-rate">\$1\.10</);
    expect(page.text).toMatch(/class="metric metric-warning" data-testid="hours-remaining-metric" data-state="low"/);
    expect(page.text).toMatch(/data-testid="hours-remaining">4 h</);
    expect(page.text).toMatch(/data-testid="runs-out-at">Under 24 hours: runs out (\d{4}-\d{2}-\d{2} )?\d{2}:\d{2} UTC</);
    expect(page.text).toMatch(/data-testid="accumulating">(&lt;)?\$0\.\d{2}</);
  });

  it('filters history by type and status, and pages through it', async () => {
    const ws = await createWorkspace();
    for (let i = 0; i < 23; i++) await grant(ws.workspaceId, 1_000_000 + i, `dash-grant-${i}`);
    await internal('POST', '/internal/v1/deductions', { id: 'dash-deduct-1', workspaceId: ws.workspaceId, amountMicros: 500_000, description: 'A charge' });
    const browser = await signedIn(ws.adminKey);

    const first = historyRows((await browser.get('/dashboard')).text);
    expect(first).toHaveLength(20);
    expect(first[0]).toMatchObject({ type: 'usage', amount: '-$0.50' });
    const page1 = await browser.get('/dashboard');
    const older = page1.text.match(/href="([^"]+)" rel="next" data-testid="older-page"/)?.[1]?.replaceAll('&amp;', '&');
    expect(older).toBeTruthy();
    const second = historyRows((await browser.get(older!.replace('#history', ''))).text);
    expect(second).toHaveLength(4);
    expect(new Set([...first, ...second].map((r) => r.id)).size).toBe(24);

    const usageOnly = historyRows((await browser.get('/dashboard?type=usage')).text);
    expect(usageOnly.map((r) => r.type)).toEqual(['usage']);
    expect(historyRows((await browser.get('/dashboard?status=failed')).text)).toHaveLength(0);
    // An unknown filter is ignored, not an error page.
    expect(historyRows((await browser.get('/dashboard?type=bogus')).text)).toHaveLength(20);
  });

  it('serves the live regions as JSON for the session, and refuses without one', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 3_000_000);
    expect((await new DashboardBrowser().get('/dashboard/live')).status).toBe(401);
    const browser = await signedIn(ws.adminKey);
    const live = await browser.get('/dashboard/live');
    expect(live.status).toBe(200);
    const body = JSON.parse(live.text);
    expect(body.pending).toBe(false);
    expect(body.regions['balance-region']).toMatch(/data-testid="balance">\$3\.00</);
    expect(historyRows(body.regions['history-region'])).toHaveLength(1);
  });

  it('renders charts as SVG and sends a strict Content-Security-Policy with no caching', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 3_000_000);
    await internal('POST', '/internal/v1/deductions', { id: 'dash-chart-1', workspaceId: ws.workspaceId, amountMicros: 1_250_000, description: 'GPU minutes' });
    const res = await (await signedIn(ws.adminKey)).get('/dashboard?period=30d');
    expect(res.text).toMatch(/<svg[^>]+data-chart="balance" data-points="\d+"/);
    expect(res.text).toMatch(/<svg[^>]+data-chart="spend" data-hours="1"/);
    expect(res.text).toContain('data-category-total="charges">$1.25<');
    expect(res.text).toContain('aria-current="page" class="tab tab-current">30 days');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    // No third-party origin is referenced by the page.
    expect(res.text.match(/(?:src|href)="https?:\/\/[^"]+"/g) ?? []).toEqual([]);
  });

  it('serves its stylesheet and script small, versioned and cacheable', async () => {
    const page = await new DashboardBrowser().get('/dashboard');
    const css = page.text.match(/href="(\/dashboard\/assets\/app\.css\?v=[^"]+)"/)?.[1];
    const js = page.text.match(/src="(\/dashboard\/assets\/app\.js\?v=[^"]+)"/)?.[1];
    expect(css && js).toBeTruthy();
    const [cssRes, jsRes] = await Promise.all([new DashboardBrowser().get(css!), new DashboardBrowser().get(js!)]);
    expect(cssRes.headers.get('content-type')).toContain('text/css');
    expect(jsRes.headers.get('content-type')).toContain('javascript');
    expect(cssRes.headers.get('cache-control')).toContain('immutable');
    // The page's whole script budget: far under the 100 KB a framework bundle may not exceed.
    expect(jsRes.text.length).toBeLessThan(3_000);
  });
});
