// Auto-recharge modes (contract "Auto-recharge modes"): target mode, the monthly cap, validation.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct } from '../helpers/fixtures';
import { credits, workspaceWithSavedCard } from './stripe_helpers';
import { DashboardBrowser } from '../dashboard/dashboard_browser';

const CREDIT = 1_000_000;
const rechargeEntries = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits/history?type=auto_recharge', apiKey)).body.data as any[];
const limitEvents = async (workspaceId: string) => (await internal('GET', `/internal/v1/workspaces/${workspaceId}/events?type=auto_recharge.limit_reached`)).body.data as any[];

describe('auto-recharge modes', () => {
  it('target mode closes the whole gap up to targetCents in one payment', async () => {
    const ws = await workspaceWithSavedCard('Target mode');
    const put = await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500, mode: 'target', targetCents: 5000 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ mode: 'target', targetCents: 5000, monthlyLimitCents: null, spentThisMonthCents: 0 });
    // $20 → $7.66: below $10; the gap to $50 is $42.34, paid at once (not the fixed $25).
    expect((await deduct(ws.workspaceId, 12_340_000, 'below')).status).toBe(201);
    const entries = await rechargeEntries(ws.adminKey);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ status: 'completed', amountMicros: 42_340_000 });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(50 * CREDIT);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.spentThisMonthCents).toBe(4234);
  });

  it('the monthly limit cuts a charge to what fits, then stops charges; limit_reached is sent once', async () => {
    const ws = await workspaceWithSavedCard('Monthly limit');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1500, topupAmountCents: 2500, monthlyLimitCents: 3500 })).status).toBe(200);
    // $20 → $14: $25 paid (fits the $35 cap).
    await deduct(ws.workspaceId, 6 * CREDIT, 'below-1');
    expect((await rechargeEntries(ws.adminKey)).map((e) => e.amountMicros)).toEqual([25 * CREDIT]);
    expect(await limitEvents(ws.workspaceId)).toHaveLength(0);
    // $39 → $14: only $10 of the cap is left: $10 is charged, and the platform is told.
    await deduct(ws.workspaceId, 25 * CREDIT, 'below-2');
    expect((await rechargeEntries(ws.adminKey)).map((e) => [e.status, e.amountMicros])).toEqual([
      ['completed', 10 * CREDIT],
      ['completed', 25 * CREDIT],
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(24 * CREDIT);
    // $24 → $14: nothing left this month: no charge, no second notice.
    await deduct(ws.workspaceId, 10 * CREDIT, 'below-3');
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(2);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(14 * CREDIT);
    const events = await limitEvents(ws.workspaceId);
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ monthlyLimitCents: 3500, spentThisMonthCents: 2500, wantedCents: 2500, chargedCents: 1000 });
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body).toMatchObject({ monthlyLimitCents: 3500, spentThisMonthCents: 3500 });
  });

  it('validation answers 400 naming the field', async () => {
    const ws = await createWorkspace('Validation');
    const put = (body: Record<string, unknown>) => publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: false, thresholdCents: 1000, topupAmountCents: 2500, ...body });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ mode: 'target', targetCents: 1000 }, 'targetCents'],
      [{ mode: 'target', targetCents: 900 }, 'targetCents'],
      [{ mode: 'target' }, 'targetCents'],
      [{ monthlyLimitCents: 499 }, 'monthlyLimitCents'],
      [{ monthlyLimitCents: -500 }, 'monthlyLimitCents'],
      [{ thresholdCents: -1 }, 'thresholdCents'],
      [{ targetCents: -5 }, 'targetCents'],
      [{ mode: 'percent' }, 'mode'],
    ];
    for (const [body, field] of cases) {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message.startsWith(`${field}:`), res.body.error.message).toBe(true);
    }
    const ok = await put({ mode: 'target', targetCents: 1001, monthlyLimitCents: 500 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ mode: 'target', targetCents: 1001, monthlyLimitCents: 500, spentThisMonthCents: 0 });
    // The dashboard form carries the same fields.
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const { csrf } = await browser.page();
    const bad = await browser.post('/dashboard/auto-recharge', { csrf, threshold: '10', amount: '25', mode: 'target', target: '10', limit: '' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('target balance above the threshold');
    const saved = await browser.post('/dashboard/auto-recharge', { csrf, threshold: '10', amount: '25', mode: 'target', target: '60', limit: '100' });
    expect(saved.status).toBe(303);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body).toMatchObject({ mode: 'target', targetCents: 6000, monthlyLimitCents: 10000 });
    const form = (await browser.page()).text;
    expect(form).toMatch(/name="mode" value="target" checked/);
    expect(form).toMatch(/id="auto-target" name="target"[^>]*\s+value="60\.00"/);
    // PUT replaces every setting: omitted means fixed, no target, no cap.
    expect((await put({})).body).toMatchObject({ mode: 'fixed', targetCents: null, monthlyLimitCents: null });
  });
});
