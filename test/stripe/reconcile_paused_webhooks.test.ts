// Reconciliation when Stripe's webhooks stop (the emulator's delivery paused): every kind of
// deposit is credited by POST /internal/v1/stripe/reconcile, once; the late webhooks change
// nothing; a full flow leaves no mismatch, and a mismatch made on purpose names its object. Also
// Stripe's dispute test card (…0259) end to end. (Webhooks in this suite go nowhere anyway, see
// test/setup/stripe_emulator.global.ts: "late webhooks" are the held events delivered by hand.)
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct } from '../helpers/fixtures';
import { compareWithStripe } from '../../workers/stripe/reconciliation/compare_ledger';
import { credits, deliver, emulatorEvents, EMULATOR, eventFor, eventsFor, payCheckout, offSessionIntent, stripeCall, topup, workspaceWithSavedCard } from './stripe_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const CREDIT = 1_000_000;

interface Report {
  eventsApplied: number;
  repaired: Array<{ workspaceId: string; stripeObjectId: string; transactionId: string; what: string }>;
  mismatches: Array<{ workspaceId: string; stripeObjectId: string; detail: string }>;
}

const reconcile = async () => {
  const res = await internal('POST', '/internal/v1/stripe/reconcile');
  expect(res.status).toBe(200);
  return res.body as Report;
};
const mine = <T extends { workspaceId: string }>(rows: T[], workspaceId: string) => rows.filter((r) => r.workspaceId === workspaceId);

const webhooks = async (action: 'pause' | 'resume') => {
  const res = await fetch(`${EMULATOR}/__emulator/webhooks/${action}`, { method: 'POST' });
  expect(res.status).toBe(200);
};
afterEach(() => webhooks('resume'));

const ledgerOf = async (workspaceId: string) =>
  (
    await shardD1Of(workspaceId).prepare('SELECT id, type, status, amount_micros AS amount, invoice_url AS invoiceUrl FROM transactions WHERE workspace_id = ? ORDER BY seq')
      .bind(workspaceId)
      .all<{ id: string; type: string; status: string; amount: number; invoiceUrl: string | null }>()
  ).results;

const ledgerStub = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));

/**
 * A saved-card top-up or auto-recharge whose answer from Stripe the ledger object never got (it
 * opened the pending entry, Stripe charged the card, the connection dropped): the entry and the
 * PaymentIntent exactly as charge_saved_card.ts makes them.
 */
async function unansweredOffSessionPayment(ws: { workspaceId: string; customerId: string; paymentMethodId: string }, key: string, type: 'deposit' | 'auto_recharge', amountCents: number) {
  const opened = await ledgerStub(ws.workspaceId).openDeposit({ workspaceId: ws.workspaceId, key, type, amountMicros: amountCents * 10_000, description: `Unanswered ${type}` });
  expect(opened.ok && opened.value.status).toBe('pending');
  const intent = await offSessionIntent(ws, key, amountCents, type === 'deposit' ? 'burnrate credit top-up' : 'burnrate auto-recharge');
  expect(intent.body.status).toBe('succeeded');
  return { intentId: intent.body.id as string, transactionId: opened.ok ? opened.value.id : '' };
}

describe('reconciliation while webhooks are paused', () => {
  it('credits a paid Checkout, a saved-card top-up and an auto-recharge once; a second run repairs nothing; the late webhooks change nothing', async () => {
    const ws = await workspaceWithSavedCard('Paused webhooks');
    await webhooks('pause');
    const checkout = await topup(ws.adminKey, 3000);
    expect((await payCheckout(checkout.body.sessionId)).status).toBe(200);
    const card = await unansweredOffSessionPayment(ws, 'card:api-paused-1', 'deposit', 700);
    const auto = await unansweredOffSessionPayment(ws, `auto:${Date.now()}`, 'auto_recharge', 2500);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
    // Stripe holds the events back, but lists them (which is what reconciliation reads).
    const held = (await emulatorEvents()).filter((e) => [checkout.body.sessionId, card.intentId, auto.intentId].some((id) => e.data.object.id === id));
    expect(held.length).toBeGreaterThanOrEqual(3);
    expect(new Set(held.map((e) => e.delivery.status))).toEqual(new Set(['paused']));

    const report = await reconcile();
    const repaired = mine(report.repaired, ws.workspaceId);
    expect(repaired.map((r) => r.transactionId).sort()).toEqual([checkout.body.transactionId, card.transactionId, auto.transactionId].sort());
    expect(repaired.find((r) => r.transactionId === card.transactionId)).toMatchObject({ stripeObjectId: card.intentId, what: expect.stringMatching(/^deposit completed \(7000000 micros\) by payment_intent\.succeeded /) });
    expect(repaired.find((r) => r.transactionId === auto.transactionId)).toMatchObject({ stripeObjectId: auto.intentId, what: expect.stringMatching(/^auto_recharge completed \(25000000 micros\) by payment_intent\.succeeded /) });
    expect(mine(report.mismatches, ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe((20 + 30 + 7 + 25) * CREDIT);
    // The off-session payments got their paid invoices on the way.
    const ledger = await ledgerOf(ws.workspaceId);
    for (const id of [card.transactionId, auto.transactionId]) expect(ledger.find((t) => t.id === id)?.invoiceUrl).toMatch(/\/invoices\/in_/);

    const again = await reconcile();
    expect(mine(again.repaired, ws.workspaceId)).toEqual([]);
    expect(mine(again.mismatches, ws.workspaceId)).toEqual([]);
    expect(await ledgerOf(ws.workspaceId)).toEqual(ledger);

    // Delivery resumes: the held webhooks arrive late (here by hand), each acknowledged, none moving anything.
    await webhooks('resume');
    for (const event of held) expect((await deliver(event)).status).toBe(200);
    expect(await ledgerOf(ws.workspaceId)).toEqual(ledger);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(82 * CREDIT);
    const invoices = (await stripeCall(`/v1/invoices?customer=${ws.customerId}&limit=100`, {}, 'GET')).body.data as any[];
    expect(invoices.filter((i) => i.paid_out_of_band)).toHaveLength(2);
  });
});

describe('the full flow reconciles', () => {
  it('checkout + saved card + auto-recharge + refund + dispute: no mismatch; a refund made at Stripe alone is named until repaired', async () => {
    const ws = await workspaceWithSavedCard('Full flow');
    expect((await topup(ws.adminKey, 1000, 'full-saved', 'saved')).status).toBe(201);
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 })).status).toBe(200);
    expect((await deduct(ws.workspaceId, 22 * CREDIT, 'full-spend')).status).toBe(201); // $30 → $8: recharges $25
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: false, thresholdCents: 1000, topupAmountCents: 2500 })).status).toBe(200);
    const intents = (await stripeCall(`/v1/payment_intents?customer=${ws.customerId}&limit=100`, {}, 'GET')).body.data as any[];
    const saved = intents.find((pi) => String(pi.metadata.transactionKey).startsWith('card:'))!;
    const recharge = intents.find((pi) => String(pi.metadata.transactionKey).startsWith('auto:'))!;
    expect(recharge.status).toBe('succeeded');
    // A refund of the saved-card top-up and a dispute of the auto-recharge, their webhooks delivered.
    await stripeCall('/v1/refunds', { payment_intent: saved.id, amount: '300' });
    expect((await deliver(await eventFor('charge.refunded', saved.id))).status).toBe(200);
    const opened = await fetch(`${EMULATOR}/__emulator/charges/${recharge.latest_charge}/dispute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: 1000 }) });
    const disputeId = ((await opened.json()) as { id: string }).id;
    for (const event of await eventsFor('charge.dispute.funds_withdrawn', disputeId)) expect((await deliver(event)).status).toBe(200);
    const balance = (20 + 10 - 22 + 25 - 3 - 10) * CREDIT;
    expect((await credits(ws.adminKey)).balanceMicros).toBe(balance);

    const clean = await reconcile();
    expect(mine(clean.mismatches, ws.workspaceId)).toEqual([]);
    expect(mine(clean.repaired, ws.workspaceId)).toEqual([]);

    // Webhooks paused, a refund made in Stripe's dashboard: until reconciliation repairs the ledger,
    // the comparison names the refund.
    await webhooks('pause');
    const refund = await stripeCall('/v1/refunds', { payment_intent: saved.id, amount: '200' });
    const before = await compareWithStripe(
      env,
      Date.now() - 30 * 60_000,
      new Map([[ws.workspaceId, (await env.DB.prepare('SELECT customer_id AS c FROM stripe_customers WHERE workspace_id = ?').bind(ws.workspaceId).first<{ c: string }>())!.c]]),
    );
    expect(mine(before.mismatches, ws.workspaceId)).toEqual([{ workspaceId: ws.workspaceId, stripeObjectId: refund.body.id, detail: 'Stripe refunded 2000000 micros; the ledger has no refund entry' }]);
    const repairedRun = await reconcile();
    expect(mine(repairedRun.repaired, ws.workspaceId)).toEqual([expect.objectContaining({ stripeObjectId: saved.latest_charge, what: expect.stringMatching(/^refund completed \(-2000000 micros\) by charge\.refunded /) })]);
    expect(mine(repairedRun.mismatches, ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(balance - 2 * CREDIT);

    // A payment at Stripe claiming a deposit the ledger never opened cannot be repaired: reported, by its id.
    const ghost = await offSessionIntent(ws, 'card:never-opened', 1100);
    const flagged = await reconcile();
    expect(mine(flagged.mismatches, ws.workspaceId)).toEqual([{ workspaceId: ws.workspaceId, stripeObjectId: ghost.body.id, detail: 'Stripe received 11000000 micros; the ledger has no deposit card:never-opened' }]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(balance - 2 * CREDIT);
  });
});

describe("Stripe's dispute test card (4000 0000 0000 0259)", () => {
  it('a Checkout top-up paid with it is disputed: one dispute entry however often the events come; winning_evidence gives it back once', async () => {
    const ws = await createWorkspace('Dispute card');
    const created = await topup(ws.adminKey, 3000);
    expect((await payCheckout(created.body.sessionId, '4000000000000259')).status).toBe(200);
    const session = await stripeCall(`/v1/checkout/sessions/${created.body.sessionId}`, {}, 'GET');
    const [dispute] = (await stripeCall(`/v1/disputes?payment_intent=${session.body.payment_intent}`, {}, 'GET')).body.data as any[];
    expect(dispute).toMatchObject({ amount: 3000, reason: 'fraudulent', status: 'needs_response' });
    // The dispute's events may come before the payment's: the deposit is completed first, then taken back.
    const opened = [...(await eventsFor('charge.dispute.created', dispute.id)), ...(await eventsFor('charge.dispute.funds_withdrawn', dispute.id))];
    expect(opened).toHaveLength(2);
    for (const event of [...opened, ...opened]) expect((await deliver(event)).status).toBe(200);
    expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
    const disputes = async () => (await ledgerOf(ws.workspaceId)).filter((t) => t.type === 'dispute').map((t) => [t.status, t.amount]);
    expect(await disputes()).toEqual([['completed', -30 * CREDIT]]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);

    // Evidence that wins (Stripe's test-mode convention): reinstated and closed as won.
    const won = await stripeCall(`/v1/disputes/${dispute.id}`, { 'evidence[uncategorized_text]': 'winning_evidence' });
    expect(won.body.status).toBe('won');
    const closing = [...(await eventsFor('charge.dispute.funds_reinstated', dispute.id)), ...(await eventsFor('charge.dispute.closed', dispute.id))];
    expect(closing).toHaveLength(2);
    for (const event of [...closing, ...closing]) expect((await deliver(event)).status).toBe(200);
    expect(await disputes()).toEqual([
      ['completed', -30 * CREDIT],
      ['completed', 30 * CREDIT],
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(30 * CREDIT);
    const row = await shardD1Of(ws.workspaceId).prepare('SELECT status FROM stripe_disputes WHERE dispute_id = ?').bind(dispute.id).first<{ status: string }>();
    expect(row?.status).toBe('won');
    expect(mine((await reconcile()).mismatches, ws.workspaceId)).toEqual([]);
  });
});
