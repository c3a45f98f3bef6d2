// 3-D Secure on an auto-recharge (contract "Auto-recharge modes"), as real Stripe answers it: the
// off-session payment is a 402 authentication_required (its PaymentIntent back in
// requires_payment_method), which is not a decline. The entry stays pending with actionUrl, a Stripe
// Checkout Session for the same amount (the customer pays it with 3-D Secure on Stripe's page);
// paying it completes the entry once, whatever the order and number of webhooks; 23 h later an
// unpaid one expires into failed, still not a decline.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct, grantPaid } from '../helpers/fixtures';
import { shardD1Of } from '../helpers/ledger_checks';
import { DashboardBrowser } from '../dashboard/dashboard_browser';
import { AUTHENTICATION_EXPIRES_AFTER_MS, expireAwaitedAuthentications } from '../../workers/stripe/reconciliation/expire_authentications';
import { credits, deliver, eventFor, eventsFor, payCheckout, stripeCall, stripeCustomerRow, topup } from './stripe_helpers';

const CREDIT = 1_000_000;
const CARD_3DS = '4000002760003184';

/** A workspace whose saved card (paid on-session through Checkout) needs 3-D Secure off-session. */
async function workspaceWith3dsCard(name: string) {
  const ws = await createWorkspace(name);
  const created = await topup(ws.adminKey, 2000);
  await payCheckout(created.body.sessionId, CARD_3DS);
  expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
  expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1500, topupAmountCents: 2500 })).status).toBe(200);
  const customer = await stripeCustomerRow(ws.workspaceId);
  return { ...ws, customerId: customer!.customerId };
}

const rechargeEntries = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits/history?type=auto_recharge', apiKey)).body.data as any[];
const eventsOf = async (workspaceId: string, type: string) => (await internal('GET', `/internal/v1/workspaces/${workspaceId}/events?type=${type}`)).body.data as any[];
const ledgerOf = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));
const failuresOf = async (workspaceId: string) =>
  (await shardD1Of(workspaceId).prepare('SELECT auto_topup_failures AS n FROM ledger_workspaces WHERE workspace_id = ?').bind(workspaceId).first<{ n: number }>())?.n;
/** The off-session PaymentIntents burnrate made for this workspace's auto-recharges, newest first. */
const offSessionIntents = async (customerId: string) =>
  ((await stripeCall(`/v1/payment_intents?customer=${customerId}&limit=100`, {}, 'GET')).body.data as any[]).filter((pi) => pi.metadata?.transactionKey?.startsWith('auto:'));

/** The charge waiting for the customer: its entry, its page (a Checkout Session), the declined PaymentIntent. */
async function waitingCharge(ws: { workspaceId: string; adminKey: string; customerId: string }, expected = 1) {
  expect((await deduct(ws.workspaceId, 6 * CREDIT, `below-${crypto.randomUUID()}`)).status).toBe(201);
  const entries = await rechargeEntries(ws.adminKey);
  expect(entries).toHaveLength(expected);
  const entry = entries[0];
  expect(entry).toMatchObject({ type: 'auto_recharge', status: 'pending', amountMicros: 25 * CREDIT, actionUrl: expect.stringMatching(/\/c\/pay\/cs_\w+$/) });
  const actionUrl = entry.actionUrl as string;
  const sessionId = actionUrl.split('/').pop()!;
  // Stripe's record: the off-session try was declined for authentication, not paid and not waiting.
  const [intent] = await offSessionIntents(ws.customerId);
  expect(intent).toMatchObject({ status: 'requires_payment_method', amount: 2500, amount_received: 0, last_payment_error: { code: 'authentication_required' } });
  // The page is a Checkout Session of the workspace's customer for the same amount, open until 23 h.
  const session = (await stripeCall(`/v1/checkout/sessions/${sessionId}`, {}, 'GET')).body;
  expect(session).toMatchObject({ status: 'open', mode: 'payment', customer: ws.customerId, amount_total: 2500, currency: 'usd', url: actionUrl });
  expect(session.expires_at * 1000).toBeGreaterThan(Date.now() + AUTHENTICATION_EXPIRES_AFTER_MS - 5 * 60_000);
  expect(session.expires_at * 1000).toBeLessThanOrEqual(Date.now() + AUTHENTICATION_EXPIRES_AFTER_MS + 60_000);
  return { entry, actionUrl, sessionId, intentId: intent.id as string };
}

/** The customer on Stripe's hosted Checkout page, paying with the card that needs 3-D Secure. */
async function payOnHostedPage(actionUrl: string) {
  const res = await fetch(actionUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ card: CARD_3DS, email: 'owner@example.com' }).toString(), redirect: 'manual' });
  expect(res.status).toBe(303);
}

describe('3-D Secure auto-recharge (402 authentication_required)', () => {
  it('is pending with a Checkout page, announced once, never a decline; paying the page completes the deposit once, whatever the webhooks do; reconciliation finds nothing to repair', async () => {
    const ws = await workspaceWith3dsCard('3DS completes');
    const { entry, actionUrl, sessionId, intentId } = await waitingCharge(ws);
    expect((await publicApi('GET', `/v1/billing/transactions/${entry.id}`, ws.adminKey)).body.actionUrl).toBe(actionUrl);
    expect((await eventsOf(ws.workspaceId, 'auto_recharge.action_required')).map((e) => e.data)).toEqual([{ transactionId: entry.id, actionUrl }]);
    expect(await eventsOf(ws.workspaceId, 'auto_recharge.failed')).toHaveLength(0);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(14 * CREDIT);
    expect(await failuresOf(ws.workspaceId)).toBe(0);

    // Stripe's payment_intent.payment_failed for the declined off-session try (and its redelivery)
    // does not fail the entry: the customer has the page.
    const declined = await eventFor('payment_intent.payment_failed', intentId);
    expect((await deliver(declined)).status).toBe(200);
    expect((await deliver(declined)).status).toBe(200);
    expect((await rechargeEntries(ws.adminKey))[0]).toMatchObject({ id: entry.id, status: 'pending', actionUrl });

    // The dashboard shows the banner with the link.
    const browser = new DashboardBrowser();
    await browser.signIn(ws.adminKey);
    const banner = (await browser.page()).text.match(/<p[^>]*data-testid="action-required"[^>]*>[\s\S]*?<\/p>/)?.[0];
    expect(banner).toContain(`href="${actionUrl}"`);

    // Not a decline: no retry an hour later (or later), auto-top-up stays on.
    await ledgerOf(ws.workspaceId).checkBalance(ws.workspaceId, Date.parse(entry.createdAt) + 2 * 3_600_000);
    expect(await offSessionIntents(ws.customerId)).toHaveLength(1);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.enabled).toBe(true);
    expect(await failuresOf(ws.workspaceId)).toBe(0);
    expect(await eventsOf(ws.workspaceId, 'auto_recharge.action_required')).toHaveLength(1);

    // The customer pays on Stripe's page; every webhook is delivered twice, the declined try's last.
    await payOnHostedPage(actionUrl);
    const completed = await eventFor('checkout.session.completed', sessionId);
    const paidIntentId = (completed.data.object as any).payment_intent as string;
    const succeeded = await eventFor('payment_intent.succeeded', paidIntentId);
    for (const event of [succeeded, completed, succeeded, completed, declined]) expect((await deliver(event)).status).toBe(200);

    const [done] = await rechargeEntries(ws.adminKey);
    expect(done).toMatchObject({ id: entry.id, status: 'completed', actionUrl: null, amountMicros: 25 * CREDIT });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(39 * CREDIT);
    // The same completion path as any deposit: the authenticated payment is one paid credit block.
    const blocks = (await publicApi('GET', '/v1/billing/credit-blocks', ws.adminKey)).body.data as any[];
    expect(blocks.filter((b) => b.transactionId === entry.id)).toEqual([
      expect.objectContaining({ category: 'paid', source: 'auto_recharge', amountMicros: 25 * CREDIT, remainingMicros: 25 * CREDIT, expiresAt: null }),
    ]);
    expect(blocks.reduce((sum, b) => sum + b.remainingMicros, 0)).toBe(39 * CREDIT);
    expect(await eventsOf(ws.workspaceId, 'auto_recharge.failed')).toHaveLength(0);
    expect((await browser.page()).text).not.toContain('data-testid="action-required"');

    // Reconciliation reads the same record from Stripe and finds nothing to repair or report.
    const report = (await internal('POST', '/internal/v1/stripe/reconcile')).body;
    const ours = (list: any[]) => list.filter((r) => r.workspaceId === ws.workspaceId);
    expect(ours(report.repaired)).toEqual([]);
    expect(ours(report.mismatches)).toEqual([]);
    expect((await rechargeEntries(ws.adminKey))[0]).toMatchObject({ id: entry.id, status: 'completed' });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(39 * CREDIT);
  });

  it('left unpaid for 23 hours, it expires into failed with its auto_recharge.failed notice; three in a row never turn auto-top-up off', async () => {
    const ws = await workspaceWith3dsCard('3DS expires');
    for (let round = 1; round <= 3; round++) {
      const { entry, sessionId, intentId } = await waitingCharge(ws, round);
      const createdAtMs = Date.parse(entry.createdAt);
      await expireAwaitedAuthentications(env, createdAtMs + AUTHENTICATION_EXPIRES_AFTER_MS - 60_000);
      expect((await rechargeEntries(ws.adminKey))[0]).toMatchObject({ id: entry.id, status: 'pending' });

      const outcome = await expireAwaitedAuthentications(env, createdAtMs + AUTHENTICATION_EXPIRES_AFTER_MS + 1_000);
      expect(outcome.failed).toEqual([]);
      expect(outcome.repaired.filter((r) => r.transactionId === entry.id)).toHaveLength(1);
      const [expired] = await rechargeEntries(ws.adminKey);
      expect(expired).toMatchObject({ id: entry.id, status: 'failed', actionUrl: null });
      // Nothing can be paid for it any more at Stripe: the page is expired, the declined try cancelled.
      expect((await stripeCall(`/v1/checkout/sessions/${sessionId}`, {}, 'GET')).body.status).toBe('expired');
      expect((await stripeCall(`/v1/payment_intents/${intentId}`, {}, 'GET')).body).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
      // Stripe's own notices of that (and a second expiry run) change nothing.
      for (const event of [...(await eventsFor('checkout.session.expired', sessionId)), ...(await eventsFor('payment_intent.canceled', intentId))]) expect((await deliver(event)).status).toBe(200);
      expect((await expireAwaitedAuthentications(env, createdAtMs + AUTHENTICATION_EXPIRES_AFTER_MS + 2_000)).repaired.filter((r) => r.transactionId === entry.id)).toEqual([]);

      const failed = (await eventsOf(ws.workspaceId, 'auto_recharge.failed')).map((e) => e.data);
      expect(failed).toHaveLength(round);
      expect(failed).toContainEqual({ transactionId: entry.id, attempt: 1, declineCode: 'authentication_expired', disabled: false });
      expect(await failuresOf(ws.workspaceId)).toBe(0);
      expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.enabled).toBe(true);
      expect((await credits(ws.adminKey)).balanceMicros).toBe(14 * CREDIT);
      // Back above the threshold (paid credit), so that the next deduction is a new crossing.
      await grantPaid(ws.workspaceId, 6 * CREDIT);
      await ledgerOf(ws.workspaceId).checkBalance(ws.workspaceId);
    }
    expect(await eventsOf(ws.workspaceId, 'auto_recharge.action_required')).toHaveLength(3);
    expect(await offSessionIntents(ws.customerId)).toHaveLength(3);
  });

  it('a top-up asked for with the saved 3-D Secure card is declined by Stripe (authentication_required): 402 payment_failed, the deposit failed, auto-top-up untouched', async () => {
    const ws = await workspaceWith3dsCard('3DS saved top-up');
    const answer = await topup(ws.adminKey, 2500, '3ds-saved-1', 'saved');
    expect([answer.status, answer.body.error?.code]).toEqual([402, 'payment_failed']);
    const history = (await publicApi('GET', '/v1/billing/credits/history?type=deposit', ws.adminKey)).body.data as any[];
    expect(history.filter((d) => d.status === 'failed')).toEqual([expect.objectContaining({ amountMicros: 25 * CREDIT })]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
    expect(await failuresOf(ws.workspaceId)).toBe(0);
    expect(await eventsOf(ws.workspaceId, 'auto_recharge.action_required')).toHaveLength(0);
  });

  it('an off-session try whose page could not be made fails after a grace period as authentication_required, still not a decline', async () => {
    const ws = await workspaceWith3dsCard('3DS no page');
    // The off-session try as burnrate makes it, but with no page recorded for it (Stripe answered
    // the Checkout Session late, or the object stopped in between).
    const key = `auto:${Date.now()}`;
    const opened = await ledgerOf(ws.workspaceId).openDeposit({ workspaceId: ws.workspaceId, key, type: 'auto_recharge', amountMicros: 25 * CREDIT, description: 'Auto-recharge' });
    expect(opened.ok).toBe(true);
    const customer = await stripeCustomerRow(ws.workspaceId);
    const tried = await stripeCall('/v1/payment_intents', {
      amount: '2500',
      currency: 'usd',
      customer: ws.customerId,
      payment_method: customer!.paymentMethodId!,
      off_session: 'true',
      confirm: 'true',
      'metadata[workspaceId]': ws.workspaceId,
      'metadata[transactionKey]': key,
    });
    expect(tried.status).toBe(402);
    expect(tried.body.error).toMatchObject({ type: 'card_error', code: 'authentication_required', payment_intent: { status: 'requires_payment_method' } });
    const declined = await eventFor('payment_intent.payment_failed', tried.body.error.payment_intent.id);
    // Within the grace period the entry waits (the ledger object may be making the page right now).
    expect((await deliver(declined)).status).toBe(200);
    const entryOf = async () => (await rechargeEntries(ws.adminKey)).find((e) => e.id === (opened as any).value.id);
    expect(await entryOf()).toMatchObject({ status: 'pending' });
    // Later (here: the sweep of deposits pending for over 30 minutes), it fails, but is no decline.
    const { sweepPendingDeposits } = await import('../../workers/stripe/reconciliation/sweep_pending');
    const { AUTHENTICATION_PAGE_GRACE_MS } = await import('../../workers/stripe/fulfil_payment_intent');
    const sweep = await sweepPendingDeposits(env, Date.now() + 1, Date.now() + AUTHENTICATION_PAGE_GRACE_MS + 1_000);
    expect(sweep.failed).toEqual([]);
    expect(await entryOf()).toMatchObject({ status: 'failed' });
    expect((await eventsOf(ws.workspaceId, 'auto_recharge.failed')).map((e) => e.data)).toEqual([
      { transactionId: (opened as any).value.id, attempt: 1, declineCode: 'authentication_required', disabled: false },
    ]);
    expect(await failuresOf(ws.workspaceId)).toBe(0);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.enabled).toBe(true);
  });
});

