// 3-D Secure on an auto-recharge (contract "Auto-recharge modes"): not a decline; pending with the
// page where the customer completes it; completing it completes the deposit; 23 h later it expires.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct } from '../helpers/fixtures';
import { shardD1Of } from '../helpers/ledger_checks';
import { DashboardBrowser } from '../dashboard/dashboard_browser';
import { AUTHENTICATION_EXPIRES_AFTER_MS, expireAwaitedAuthentications } from '../../workers/stripe/reconciliation/expire_authentications';
import { credits, deliver, EMULATOR, eventFor, payCheckout, stripeCall, topup } from './stripe_helpers';

const CREDIT = 1_000_000;
const CARD_3DS = '4000002760003184';

/** A workspace whose saved card (paid on-session through Checkout) needs 3-D Secure off-session. */
async function workspaceWith3dsCard(name: string) {
  const ws = await createWorkspace(name);
  const created = await topup(ws.adminKey, 2000);
  await payCheckout(created.body.sessionId, CARD_3DS);
  expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
  expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1500, topupAmountCents: 2500 })).status).toBe(200);
  return ws;
}

const rechargeEntries = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits/history?type=auto_recharge', apiKey)).body.data as any[];
const eventsOf = async (workspaceId: string, type: string) => (await internal('GET', `/internal/v1/workspaces/${workspaceId}/events?type=${type}`)).body.data as any[];
const intentCalls = async (workspaceId: string) => {
  const body = (await (await fetch(`${EMULATOR}/__emulator/requests`)).json()) as any;
  return ((body.data ?? body) as any[]).filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && JSON.stringify(r).includes(workspaceId));
};

/** The charge waiting for the customer: its entry, its page, its PaymentIntent. */
async function waitingCharge(ws: { workspaceId: string; adminKey: string }) {
  expect((await deduct(ws.workspaceId, 6 * CREDIT, 'below')).status).toBe(201);
  const entries = await rechargeEntries(ws.adminKey);
  expect(entries).toHaveLength(1);
  const entry = entries[0];
  expect(entry).toMatchObject({ type: 'auto_recharge', status: 'pending', amountMicros: 25 * CREDIT, actionUrl: expect.stringMatching(/\/authenticate\/pi_\w+$/) });
  return { entry, actionUrl: entry.actionUrl as string, paymentIntentId: (entry.actionUrl as string).split('/').pop()! };
}

describe('3-D Secure auto-recharge', () => {
  it('is pending with actionUrl, announced, never a decline; the hosted page completes the deposit', async () => {
    const ws = await workspaceWith3dsCard('3DS completes');
    const { entry, actionUrl, paymentIntentId } = await waitingCharge(ws);
    expect((await publicApi('GET', `/v1/billing/transactions/${entry.id}`, ws.adminKey)).body.actionUrl).toBe(actionUrl);
    expect((await eventsOf(ws.workspaceId, 'auto_recharge.action_required')).map((e) => e.data)).toEqual([{ transactionId: entry.id, actionUrl }]);
    expect(await eventsOf(ws.workspaceId, 'auto_recharge.failed')).toHaveLength(0);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(14 * CREDIT);
    // The dashboard shows the banner with the link.
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const banner = (await browser.page()).text.match(/<p[^>]*data-testid="action-required"[^>]*>[\s\S]*?<\/p>/)?.[0];
    expect(banner).toContain(`href="${actionUrl}"`);

    // Not a decline: no retry an hour later (or later), auto-top-up stays on.
    const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(ws.workspaceId));
    await stub.checkBalance(ws.workspaceId, Date.parse(entry.createdAt) + 2 * 3_600_000);
    expect(await intentCalls(ws.workspaceId)).toHaveLength(1);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.enabled).toBe(true);
    const row = await shardD1Of(ws.workspaceId).prepare('SELECT auto_topup_failures AS n FROM ledger_workspaces WHERE workspace_id = ?').bind(ws.workspaceId).first<{ n: number }>();
    expect(row?.n).toBe(0);

    // The customer completes it on the hosted page; Stripe's payment_intent.succeeded completes the deposit.
    const page = await fetch(actionUrl, { method: 'POST', body: '' });
    expect(page.status).toBe(200);
    expect((await deliver(await eventFor('payment_intent.succeeded', paymentIntentId))).status).toBe(200);
    const [done] = await rechargeEntries(ws.adminKey);
    expect(done).toMatchObject({ id: entry.id, status: 'completed', actionUrl: null });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(39 * CREDIT);
    // The same completion path as any deposit: the authenticated charge is a paid credit block.
    const blocks = (await publicApi('GET', '/v1/billing/credit-blocks', ws.adminKey)).body.data as any[];
    expect(blocks.filter((b) => b.transactionId === entry.id)).toEqual([
      expect.objectContaining({ category: 'paid', source: 'auto_recharge', amountMicros: 25 * CREDIT, remainingMicros: 25 * CREDIT, expiresAt: null }),
    ]);
    expect(blocks.reduce((sum, b) => sum + b.remainingMicros, 0)).toBe(39 * CREDIT);
    expect(await eventsOf(ws.workspaceId, 'auto_recharge.failed')).toHaveLength(0);
    expect((await browser.page()).text).not.toContain('data-testid="action-required"');
  });

  it('left unauthenticated for 23 hours, it expires into failed with its auto_recharge.failed notice, still not a decline', async () => {
    const ws = await workspaceWith3dsCard('3DS expires');
    const { entry, paymentIntentId } = await waitingCharge(ws);
    const createdAtMs = Date.parse(entry.createdAt);
    await expireAwaitedAuthentications(env, createdAtMs + AUTHENTICATION_EXPIRES_AFTER_MS - 60_000);
    expect((await rechargeEntries(ws.adminKey))[0]).toMatchObject({ status: 'pending' });

    const outcome = await expireAwaitedAuthentications(env, createdAtMs + AUTHENTICATION_EXPIRES_AFTER_MS + 1_000);
    expect(outcome.failed).toEqual([]);
    const [expired] = await rechargeEntries(ws.adminKey);
    expect(expired).toMatchObject({ id: entry.id, status: 'failed', actionUrl: null });
    expect((await stripeCall(`/v1/payment_intents/${paymentIntentId}`, {}, 'GET')).body).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect((await eventsOf(ws.workspaceId, 'auto_recharge.failed')).map((e) => e.data)).toEqual([
      { transactionId: entry.id, attempt: 1, declineCode: 'authentication_expired', disabled: false },
    ]);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.enabled).toBe(true);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(14 * CREDIT);
  });
});
