// Reconciliation with Stripe: events whose webhook never arrived are replayed, long-pending
// deposits are looked up, and what Stripe and the ledger say is compared. Webhooks in this suite go
// nowhere (test/setup/stripe_emulator.global.ts), so everything not delivered by hand is "lost".
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';
import { fireCron } from '../helpers/settlement';
import { sweepPendingDeposits } from '../../workers/stripe/reconciliation/sweep_pending';
import { credits, EMULATOR, payCheckout, offSessionIntent, stripeCall, topup, workspaceWithSavedCard } from './stripe_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const CREDIT = 1_000_000;

const reconcile = async () => {
  const res = await internal('POST', '/internal/v1/stripe/reconcile');
  expect(res.status).toBe(200);
  return res.body as {
    eventsScanned: number;
    eventsApplied: number;
    pendingResolved: number;
    repaired: Array<{ workspaceId: string; stripeObjectId: string; transactionId: string; what: string }>;
    mismatches: Array<{ workspaceId: string; stripeObjectId: string; detail: string }>;
  };
};

const ledgerOf = async (workspaceId: string) =>
  (
    await shardD1Of(workspaceId).prepare('SELECT id, type, status, amount_micros AS amount FROM transactions WHERE workspace_id = ? ORDER BY seq').bind(workspaceId).all<{ id: string; type: string; status: string; amount: number }>()
  ).results;

const ledgerStub = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));

describe('reconciliation with Stripe', () => {
  it('GET /internal/v1/stripe/reconciliation is a 404 before the first run', async () => {
    const res = await internal('GET', '/internal/v1/stripe/reconciliation');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('completes a paid deposit whose webhook never arrived, lists it as repaired, and a second run changes nothing', async () => {
    const ws = await createWorkspace('Reconcile lost webhook');
    const created = await topup(ws.adminKey, 3000);
    expect(created.status).toBe(201);
    expect((await payCheckout(created.body.sessionId)).status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0); // no webhook: still pending
    const session = await stripeCall(`/v1/checkout/sessions/${created.body.sessionId}`, {}, 'GET');

    const report = await reconcile();
    expect(report.eventsScanned).toBeGreaterThan(0);
    expect(report.eventsApplied).toBeGreaterThanOrEqual(1);
    const mine = report.repaired.filter((r) => r.workspaceId === ws.workspaceId);
    expect(mine).toEqual([
      { workspaceId: ws.workspaceId, stripeObjectId: expect.toBeOneOf([created.body.sessionId, session.body.payment_intent]), transactionId: created.body.transactionId, what: expect.stringMatching(/^deposit completed \(30000000 micros\) by /) },
    ]);
    expect(report.mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(30 * CREDIT);
    const stored = await internal('GET', '/internal/v1/stripe/reconciliation');
    expect(stored.body).toEqual(report);

    const before = await ledgerOf(ws.workspaceId);
    const again = await reconcile();
    expect(again).toMatchObject({ eventsApplied: 0, pendingResolved: 0, repaired: [] });
    expect(again.mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([]);
    expect(await ledgerOf(ws.workspaceId)).toEqual(before);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(30 * CREDIT);
  });

  it('applies a refund and a dispute whose webhooks never arrived, once', async () => {
    const ws = await workspaceWithSavedCard('Reconcile refund and dispute');
    const row = await env.DB.prepare('SELECT payment_intent_id AS pi FROM checkout_sessions WHERE workspace_id = ?').bind(ws.workspaceId).first<{ pi: string }>();
    const intent = await stripeCall(`/v1/payment_intents/${row!.pi}`, {}, 'GET');
    const refund = await stripeCall('/v1/refunds', { payment_intent: row!.pi, amount: '300' });
    const dispute = await fetch(`${EMULATOR}/__emulator/charges/${intent.body.latest_charge}/dispute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 500 }) });
    const disputeId = ((await dispute.json()) as { id: string }).id;

    const report = await reconcile();
    const mine = report.repaired.filter((r) => r.workspaceId === ws.workspaceId);
    expect(mine.map((r) => [r.stripeObjectId, r.what.split(' (')[0]])).toEqual([
      [intent.body.latest_charge, 'refund completed'],
      [disputeId, 'dispute completed'],
    ]);
    expect(report.mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT - 3 * CREDIT - 5 * CREDIT);
    expect((await ledgerOf(ws.workspaceId)).filter((t) => t.type === 'refund' || t.type === 'dispute').map((t) => [t.type, t.amount])).toEqual([
      ['refund', -3 * CREDIT],
      ['dispute', -5 * CREDIT],
    ]);
    expect(refund.body.id).toMatch(/^re_/);

    const again = await reconcile();
    expect(again.repaired.filter((r) => r.workspaceId === ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(12 * CREDIT);
  });

  it('reports a deposit the ledger credited that Stripe never received, with its Checkout Session id, and changes nothing', async () => {
    const ws = await createWorkspace('Reconcile mismatch');
    const created = await topup(ws.adminKey, 1500);
    // A bug (simulated): the deposit closed as completed without Stripe saying it was paid.
    const closed = await ledgerStub(ws.workspaceId).closeDeposit({ workspaceId: ws.workspaceId, key: `checkout:${created.body.sessionId}`, outcome: 'completed' });
    expect(closed.ok).toBe(true);
    const before = await ledgerOf(ws.workspaceId);

    const report = await reconcile();
    expect(report.mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([
      { workspaceId: ws.workspaceId, stripeObjectId: created.body.sessionId, detail: expect.stringContaining('Stripe shows no such succeeded payment') },
    ]);
    expect(report.repaired.filter((r) => r.workspaceId === ws.workspaceId)).toEqual([]);
    expect(await ledgerOf(ws.workspaceId)).toEqual(before);
  });

  it('settles a deposit pending for over 30 minutes from its PaymentIntent, and fails one Stripe never heard of', async () => {
    const ws = await workspaceWithSavedCard('Reconcile pending sweep');
    const longAgoMs = Date.now() - 40 * 60_000;
    const insertPending = (key: string, amountMicros: number) =>
      shardD1Of(ws.workspaceId).prepare(
        `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros, created_at_ms)
         VALUES (?, ?, ?, 'test', 'deposit', 'pending', 'Credit top-up, saved card', ?, ?)`,
      )
        .bind(`txn_sweep_${key.replace(/\W/g, '_')}`, ws.workspaceId, key, amountMicros, longAgoMs)
        .run();
    await insertPending('card:sweep-paid', 9 * CREDIT);
    await insertPending('card:sweep-never-sent', 4 * CREDIT);
    const paid = await offSessionIntent(ws, 'card:sweep-paid', 900);
    expect(paid.body.status).toBe('succeeded');

    const sweep = await sweepPendingDeposits(env, Date.now() - 30 * 60_000);
    expect(sweep.pendingResolved).toBe(2);
    expect(sweep.repaired).toEqual([
      { workspaceId: ws.workspaceId, stripeObjectId: paid.body.id, transactionId: 'txn_sweep_card_sweep_paid', what: expect.stringMatching(/^deposit pending since .* completed from Stripe's record$/) },
      // Its payment never reached Stripe (nothing charged, nothing will be): failed, no decline.
      { workspaceId: ws.workspaceId, stripeObjectId: 'card:sweep-never-sent', transactionId: 'txn_sweep_card_sweep_never_sent', what: expect.stringMatching(/^deposit pending since .* failed: Stripe has no payment for it \(never sent\)$/) },
    ]);
    expect(sweep.failed).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(29 * CREDIT);
    // A second sweep finds the paid one settled already.
    expect((await sweepPendingDeposits(env, Date.now() - 30 * 60_000)).pendingResolved).toBe(0);
  });

  it("the hourly cron runs it too: a refund nobody delivered is applied, and the cron's report is the last one", async () => {
    const ws = await workspaceWithSavedCard('Reconcile from cron');
    const row = await env.DB.prepare('SELECT payment_intent_id AS pi FROM checkout_sessions WHERE workspace_id = ?').bind(ws.workspaceId).first<{ pi: string }>();
    expect((await stripeCall('/v1/refunds', { payment_intent: row!.pi, amount: '100' })).status).toBe(200);
    const firedAtMs = Date.now();
    await fireCron(firedAtMs);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(19 * CREDIT);
    const last = await internal('GET', '/internal/v1/stripe/reconciliation');
    expect(Date.parse(last.body.startedAt)).toBeGreaterThanOrEqual(firedAtMs);
    expect(last.body.repaired.filter((r: { workspaceId: string }) => r.workspaceId === ws.workspaceId)).toEqual([
      expect.objectContaining({ what: expect.stringMatching(/^refund completed \(-1000000 micros\) by charge\.refunded /) }),
    ]);
  });
});
