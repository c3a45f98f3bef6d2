// The accumulating history row opens the open hours' usage so far, priced line by line the way
// settlement will price it; its lines add up to the accumulating amount.
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace, grant, unique } from '../helpers/fixtures';
import { DashboardBrowser } from './dashboard_browser';

describe('the accumulating row', () => {
  it('opens the open hours\' lines, which add up to the accumulating amount', async () => {
    const ws = await createWorkspace('Open hour lines');
    await grant(ws.workspaceId, 20_000_000);
    const p = unique('open');
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const usage = await internal('POST', '/internal/v1/usage', {
      events: [
        { id: `${p}-m1`, workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o', inputTokens: 50_000, outputTokens: 7_000, occurredAt: hourAgo },
        { id: `${p}-m2`, workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o', inputTokens: 3_333, outputTokens: 17 },
        { id: `${p}-t1`, workspaceId: ws.workspaceId, type: 'tool_execution' },
        { id: `${p}-c1`, workspaceId: ws.workspaceId, type: 'charge', amountMicros: 77_777, description: 'Export' },
      ],
    });
    expect(usage.status).toBe(200);
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const page = await browser.get('/dashboard');
    const row = page.text.match(/<tr data-transaction-id="(txn_accumulating_[^"]+)" data-status="accumulating"[\s\S]*?<\/tr>/);
    expect(row).not.toBeNull();
    const rowMicros = Number(row![0].match(/data-amount-micros="(-?\d+)"[^>]*data-testid="amount"/)![1]);
    const lineMicros = [...row![0].matchAll(/<li data-amount-micros="(-?\d+)">/g)].map((m) => Number(m[1]));
    expect(lineMicros.length).toBe(3); // the model (both hours summed), tools, the charge
    expect(lineMicros.reduce((a, b) => a + b, 0)).toBe(rowMicros);
    expect(row![0]).toContain('gpt-4o: 53,333 input + 7,017 output tokens');
    expect(row![0]).toContain('Export');
    // The same lines come with the live updates.
    const live = JSON.parse((await browser.get('/dashboard/live')).text);
    expect(Object.values(live.regions).join('')).toContain('gpt-4o: 53,333 input + 7,017 output tokens');
  });
});
