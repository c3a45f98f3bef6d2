// Money from Stripe, through the emulator (test/setup/stripe_emulator.global.ts): Checkout top-ups
// paid or declined, saved-card top-ups, auto-recharge settings and a card that starts declining,
// refunds and disputes made at Stripe. Stripe's webhooks for them are collected, not sent: the
// webhook operation delivers them late, twice, out of order or never, and reconciliation must repair
// what was lost.
import { env } from 'cloudflare:workers';
import { internal, publicApi } from '../../helpers/api';
import { shardD1Of } from '../../helpers/ledger_checks';
import { deliver, EMULATOR, payCheckout, setCardOutcome, stripeCall, topup } from '../../stripe/stripe_helpers';
import type { SimDeposit, SimWorkspace, World } from '../world';
import { disarmFaults } from './faults';
import type { SimOp } from './op';

const DECLINED_CARD = '4000000000000002';

/** The emulator's events since the last look that concern this run's workspaces, queued for delivery. */
export async function collectWebhooks(w: World): Promise<void> {
  const res = await fetch(`${EMULATOR}/__emulator/events`);
  const body = (await res.json()) as { data?: any[] } | any[];
  const events = (Array.isArray(body) ? body : (body.data ?? [])) as any[];
  const needles = await needlesOf(w);
  for (const listed of events) {
    const event = listed.event ?? listed;
    if (w.seenEventIds.has(event.id)) continue;
    w.seenEventIds.add(event.id);
    const text = JSON.stringify(event);
    if (needles.some((n) => text.includes(n))) w.pendingWebhooks.push({ id: event.id, type: event.type, event });
  }
}

/** Strings that only this run's Stripe objects contain: workspace ids, customers, sessions, charges. */
async function needlesOf(w: World): Promise<string[]> {
  const needles: string[] = [];
  for (const ws of w.workspaces) {
    needles.push(ws.workspaceId);
    const customer = await stripeCustomer(ws);
    if (customer?.customerId) needles.push(customer.customerId);
    for (const d of ws.deposits) for (const id of [d.sessionId, d.paymentIntentId, d.chargeId]) if (id) needles.push(id);
  }
  return needles;
}

const stripeCustomer = (ws: SimWorkspace) =>
  env.DB.prepare('SELECT customer_id AS customerId, payment_method_id AS paymentMethodId FROM stripe_customers WHERE workspace_id = ?')
    .bind(ws.workspaceId)
    .first<{ customerId: string; paymentMethodId: string | null }>();

/** The deposit's PaymentIntent and charge at Stripe, once it has them (a paid Checkout Session). */
async function chargeOf(d: SimDeposit): Promise<string | null> {
  if (!d.paymentIntentId && d.sessionId) {
    const session = await stripeCall(`/v1/checkout/sessions/${d.sessionId}`, {}, 'GET');
    d.paymentIntentId = session.body.payment_intent ?? null;
  }
  if (!d.paymentIntentId) return null;
  if (!d.chargeId) {
    const intent = await stripeCall(`/v1/payment_intents/${d.paymentIntentId}`, {}, 'GET');
    d.chargeId = intent.body.status === 'succeeded' ? (intent.body.latest_charge ?? null) : null;
  }
  return d.chargeId;
}

const adminOnly = (w: World) => (w.workspaces.length > 0 ? 1 : 0);

export const stripeOps: SimOp[] = [
  {
    name: 'checkout_topup',
    weight: (w) => 6 * adminOnly(w),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const amountCents = w.rng.int(5, 60) * 100;
      const created = await topup(ws.adminKey, amountCents);
      if (!w.expectStatus('checkout top-up', created.status, [201], created.body)) return w.note('checkout_topup', `ws${ws.index} → ${created.status}`);
      ws.deposits.push({ sessionId: created.body.sessionId, transactionId: created.body.transactionId, amountCents, paymentIntentId: null, chargeId: null, refundedCents: 0, disputed: false });
      ws.transactionIds.push(created.body.transactionId);
      const outcome = w.rng.int(0, 9);
      // Paid (most), declined at Stripe's page, or abandoned (the deposit stays pending).
      if (outcome < 7) await payCheckout(created.body.sessionId);
      else if (outcome < 9) await payCheckout(created.body.sessionId, DECLINED_CARD);
      w.note('checkout_topup', `ws${ws.index} $${amountCents / 100} ${outcome < 7 ? 'paid' : outcome < 9 ? 'declined' : 'abandoned'}`);
      await collectWebhooks(w);
    },
  },
  {
    name: 'saved_card_topup',
    weight: (w) => 3 * adminOnly(w),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const amountCents = w.rng.int(5, 40) * 100;
      const res = await publicApi('POST', '/v1/billing/topup', ws.adminKey, { amountCents, paymentMethod: 'saved' });
      w.note('saved_card_topup', `ws${ws.index} $${amountCents / 100} → ${res.status}`);
      // 409 without a saved card; 402 when the card declines.
      if (!w.expectStatus('saved-card top-up', res.status, [201, 402, 409], res.body)) return;
      if (res.status === 201) {
        ws.transactionIds.push(res.body.transactionId);
        const intent = await paymentIntentOf(ws, res.body.transactionId);
        ws.deposits.push({ sessionId: null, transactionId: res.body.transactionId, amountCents, paymentIntentId: intent, chargeId: null, refundedCents: 0, disputed: false });
      }
      await collectWebhooks(w);
    },
  },
  {
    name: 'auto_topup_settings',
    weight: (w) => 2 * adminOnly(w),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const body = { enabled: w.rng.chance(0.75), thresholdCents: w.rng.int(5, 30) * 100, topupAmountCents: w.rng.int(5, 40) * 100 };
      const res = await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, body);
      w.note('auto_topup_settings', `ws${ws.index} ${JSON.stringify(body)} → ${res.status}`);
      w.expectStatus('auto-top-up settings', res.status, [200, 409], res.body);
      await collectWebhooks(w);
    },
  },
  {
    name: 'card_outcome',
    weight: (w) => 2 * adminOnly(w),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const card = (await stripeCustomer(ws))?.paymentMethodId;
      if (!card) return w.note('card_outcome', `ws${ws.index} has no saved card`);
      const outcome = w.rng.chance(0.6) ? 'succeed' : 'decline';
      await setCardOutcome(card, outcome);
      w.note('card_outcome', `ws${ws.index} card will ${outcome}`);
    },
  },
  {
    name: 'refund',
    weight: (w) => (w.workspaces.some((ws) => ws.deposits.length > 0) ? 3 : 0),
    async run(w) {
      const ws = w.rng.pick(w.workspaces.filter((x) => x.deposits.length > 0));
      const deposit = w.rng.pick(ws.deposits);
      const charge = await chargeOf(deposit);
      const refundable = deposit.amountCents - deposit.refundedCents;
      if (!charge || refundable <= 0 || deposit.disputed) return w.note('refund', `ws${ws.index} nothing refundable`);
      const amount = w.rng.chance(0.3) ? refundable : w.rng.int(1, refundable);
      const res = await stripeCall('/v1/refunds', { payment_intent: deposit.paymentIntentId!, amount: String(amount) });
      w.note('refund', `ws${ws.index} ${amount}¢ of ${deposit.amountCents}¢ → ${res.status}`);
      if (res.status === 200) deposit.refundedCents += amount;
      await collectWebhooks(w);
    },
  },
  {
    name: 'dispute',
    weight: (w) => (w.workspaces.some((ws) => ws.deposits.length > 0) ? 1 : 0),
    async run(w) {
      const ws = w.rng.pick(w.workspaces.filter((x) => x.deposits.length > 0));
      const deposit = w.rng.pick(ws.deposits);
      const charge = await chargeOf(deposit);
      const disputable = deposit.amountCents - deposit.refundedCents;
      if (!charge || deposit.disputed || disputable <= 0) return w.note('dispute', `ws${ws.index} nothing disputable`);
      const amount = w.rng.int(1, disputable);
      const res = await fetch(`${EMULATOR}/__emulator/charges/${charge}/dispute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount }) });
      const dispute = (await res.json()) as { id?: string };
      w.note('dispute', `ws${ws.index} ${amount}¢ → ${res.status}`);
      if (res.status === 200 && dispute.id) {
        deposit.disputed = true;
        ws.disputes.push({ id: dispute.id, closed: false });
      }
      await collectWebhooks(w);
    },
  },
  {
    name: 'dispute_close',
    weight: (w) => (w.workspaces.some((ws) => ws.disputes.some((d) => !d.closed)) ? 2 : 0),
    async run(w) {
      const ws = w.rng.pick(w.workspaces.filter((x) => x.disputes.some((d) => !d.closed)));
      const dispute = w.rng.pick(ws.disputes.filter((d) => !d.closed));
      const status = w.rng.chance(0.5) ? 'won' : 'lost';
      const res = await fetch(`${EMULATOR}/__emulator/disputes/${dispute.id}/close`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status }) });
      await res.body?.cancel();
      dispute.closed = true;
      w.note('dispute_close', `ws${ws.index} ${status} → ${res.status}`);
      await collectWebhooks(w);
    },
  },
  {
    name: 'deliver_webhook',
    weight: (w) => (w.pendingWebhooks.length > 0 ? 14 : 0),
    async run(w) {
      // Out of order: any of the three oldest. Then delivered, delivered twice, or lost.
      const at = w.rng.int(0, Math.min(2, w.pendingWebhooks.length - 1));
      const [item] = w.pendingWebhooks.splice(at, 1);
      const fate = w.rng.int(0, 9);
      if (fate === 0) return w.note('deliver_webhook', `${item!.type} lost`);
      const times = fate === 1 ? 2 : 1;
      const statuses: number[] = [];
      for (let i = 0; i < times; i++) statuses.push((await deliver(item!.event)).status);
      w.note('deliver_webhook', `${item!.type}${at > 0 ? ' (out of order)' : ''}${times > 1 ? ' twice' : ''} → ${statuses.join(', ')}`);
      // A 5xx asks Stripe to send it again later: it goes back in the queue.
      if (statuses.some((s) => s >= 500)) {
        w.expectStatus(`webhook ${item!.type}`, statuses.find((s) => s >= 500)!, [200], null);
        w.pendingWebhooks.push(item!);
      } else for (const s of statuses) w.expectStatus(`webhook ${item!.type}`, s, [200], null);
    },
  },
  {
    name: 'reconcile',
    weight: (w) => (w.workspaces.length > 0 ? 3 : 0),
    async run(w) {
      // A repair run (under the step's faults, if any), then a second one without faults: after a
      // repair nothing of this run's may be left mismatched.
      const repair = await internal('POST', '/internal/v1/stripe/reconcile');
      const faulted = w.faultArmed;
      disarmFaults(w);
      const check = await internal('POST', '/internal/v1/stripe/reconcile');
      w.faultArmed = faulted;
      w.note('reconcile', `→ ${repair.status} (${repair.body?.repaired?.length ?? '?'} repaired), ${check.status}`);
      if (!w.expectStatus('reconcile', repair.status, [200], repair.body)) return;
      w.faultArmed = false;
      if (!w.expectStatus('reconcile after the repair', check.status, [200], check.body)) return;
      const ours = new Set(w.workspaces.map((ws) => ws.workspaceId));
      const mine = (report: { mismatches: { workspaceId: string; stripeObjectId: string; detail: string }[] }) =>
        report.mismatches.filter((m) => ours.has(m.workspaceId)).map((m) => `${m.stripeObjectId}: ${m.detail}`);
      w.reconciledMismatches = mine(check.body);
      // What the repair run itself saw, for the trace of a violation.
      if (w.reconciledMismatches.length > 0) w.note('reconcile', `the repair run reported: ${mine(repair.body).join('; ') || 'nothing'}; applied ${repair.body.eventsApplied}, check run applied ${check.body.eventsApplied} of ${check.body.eventsScanned} listed`);
      await collectWebhooks(w);
    },
  },
];

/** The off-session PaymentIntent Stripe made for a saved-card deposit: the one naming its ledger key in metadata. */
async function paymentIntentOf(ws: SimWorkspace, transactionId: string): Promise<string | null> {
  const row = await shardD1Of(ws.workspaceId).prepare('SELECT idempotency_key AS k FROM transactions WHERE id = ?').bind(transactionId).first<{ k: string }>();
  const customer = (await stripeCustomer(ws))?.customerId;
  if (!row || !customer) return null;
  const list = await stripeCall(`/v1/payment_intents?customer=${customer}&limit=100`, {}, 'GET');
  const found = ((list.body.data ?? []) as { id: string; metadata?: Record<string, string> }[]).find((pi) => pi.metadata?.transactionKey === row.k);
  return found?.id ?? null;
}
