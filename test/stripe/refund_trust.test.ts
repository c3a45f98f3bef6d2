// Refunds as Stripe reports them, never as an event body says (issue 23): a refund event only names
// the charge or PaymentIntent to read back; what moves is each refund object Stripe lists, once by
// its id, only once it succeeded, never more in all than the deposit credited, and given back as
// its own entry when a refund that was taken fails afterwards.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { shardD1Of } from '../helpers/ledger_checks';
import { credits, deliver, EMULATOR, eventFor, eventsFor, offSessionIntent, stripeCall, topup, workspaceWithSavedCard } from './stripe_helpers';

const CREDIT = 1_000_000;

const ledger = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));

const refundEntries = async (workspaceId: string) =>
  (
    await shardD1Of(workspaceId)
      .prepare(`SELECT idempotency_key AS key, status, amount_micros AS amount, forgiven_micros AS forgiven, description FROM transactions WHERE workspace_id = ? AND type = 'refund' ORDER BY seq`)
      .bind(workspaceId)
      .all<{ key: string; status: string; amount: number; forgiven: number; description: string }>()
  ).results;

const reconcile = async () => {
  const res = await internal('POST', '/internal/v1/stripe/reconcile');
  expect(res.status).toBe(200);
  return res.body as { mismatches: Array<{ workspaceId: string; stripeObjectId: string; detail: string }>; repaired: Array<{ workspaceId: string }> };
};

/** Moves a refund on at the emulator, as Stripe does some time after it was made (test mode's refund cards). */
async function settleRefund(refundId: string, outcome: 'succeed' | 'fail') {
  const res = await fetch(`${EMULATOR}/__emulator/refunds/${refundId}/${outcome}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { id: string; status: string };
}

/**
 * A workspace ($20 Checkout top-up) and a deposit of `depositCents` it paid off-session with one of
 * Stripe's test cards for `stripeCents` (the same unless a test needs them to differ).
 */
async function paidDeposit(name: string, key: string, card: string, depositCents: number, stripeCents = depositCents) {
  const ws = await workspaceWithSavedCard(name);
  const attached = await stripeCall(`/v1/payment_methods/${card}/attach`, { customer: ws.customerId });
  expect(attached.status, JSON.stringify(attached.body)).toBe(200);
  await ledger(ws.workspaceId).openDeposit({ workspaceId: ws.workspaceId, key, type: 'deposit', amountMicros: depositCents * 10_000, description: `Credit top-up, saved card` });
  const intent = await offSessionIntent({ ...ws, paymentMethodId: attached.body.id }, key, stripeCents);
  expect(intent.body.status).toBe('succeeded');
  expect((await deliver(await eventFor('payment_intent.succeeded', intent.body.id))).status).toBe(200);
  return { ws, piId: intent.body.id as string, chargeId: intent.body.latest_charge as string };
}

/** A charge.refunded event naming `chargeId`, signed with the webhook secret, claiming whatever refunds a forger likes. */
async function forgedChargeRefunded(chargeId: string, refunds: Array<{ id: string; amount: number; status: string }>) {
  const charge = (await stripeCall(`/v1/charges/${chargeId}`, {}, 'GET')).body;
  const claimed = refunds.reduce((sum, r) => sum + r.amount, 0);
  return {
    id: `evt_forged_${crypto.randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type: 'charge.refunded',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        ...charge,
        amount_refunded: claimed,
        refunded: true,
        refunds: { object: 'list', data: refunds.map((r) => ({ object: 'refund', charge: chargeId, payment_intent: charge.payment_intent, currency: 'usd', ...r })), has_more: false, url: `/v1/charges/${chargeId}/refunds` },
      },
    },
  };
}

describe('a refund event is only a hint: the refunds come from Stripe', () => {
  it('a forged charge.refunded claiming a $20,000 refund of a real deposit moves nothing beyond what Stripe lists', async () => {
    const ws = await workspaceWithSavedCard('Forged refund');
    const paid = await topup(ws.adminKey, 1500, 'forged-refund-1', 'saved');
    expect(paid.body.transaction).toMatchObject({ status: 'completed', amountMicros: 15 * CREDIT });
    const intent = (await eventsFor('payment_intent.succeeded', ws.workspaceId)).map((e) => e.data.object as { id: string; metadata: Record<string, string>; latest_charge: string }).find((pi) => pi.metadata.transactionKey?.includes('forged-refund-1'))!;
    const balance = 35 * CREDIT;
    expect((await credits(ws.adminKey)).balanceMicros).toBe(balance);

    // Stripe has no refund of this charge: a forged body saying otherwise takes nothing.
    const forged = await forgedChargeRefunded(intent.latest_charge, [{ id: 're_forged_20000', amount: 2_000_000, status: 'succeeded' }]);
    expect((await deliver(forged)).status).toBe(200);
    expect(await refundEntries(ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(balance);

    // A real $4 refund, then the forged claim again (and a pending one): $4 is taken, once.
    const real = await stripeCall('/v1/refunds', { payment_intent: intent.id, amount: '400' });
    expect(real.body.status).toBe('succeeded');
    const again = await forgedChargeRefunded(intent.latest_charge, [
      { id: real.body.id, amount: 2_000_000, status: 'succeeded' },
      { id: 're_forged_pending', amount: 1_000, status: 'pending' },
    ]);
    expect((await deliver(again)).status).toBe(200);
    expect((await deliver(await eventFor('charge.refunded', intent.id))).status).toBe(200);
    expect(await refundEntries(ws.workspaceId)).toEqual([{ key: `refund:${real.body.id}`, status: 'completed', amount: -4 * CREDIT, forgiven: 0, description: 'Refund of a top-up ($4.00)' }]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(balance - 4 * CREDIT);
  });

  it('a forged refund.updated / charge.refund.updated naming a refund Stripe does not have moves nothing', async () => {
    const { ws, piId, chargeId } = await paidDeposit('Forged refund object', 'card:forged-object', 'pm_card_visa', 900);
    for (const type of ['refund.updated', 'charge.refund.updated', 'refund.failed']) {
      const event = { id: `evt_forged_${type.replaceAll('.', '_')}`, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { id: 're_made_up', object: 'refund', amount: 900, charge: chargeId, payment_intent: piId, status: type === 'refund.failed' ? 'failed' : 'succeeded', currency: 'usd' } } };
      expect((await deliver(event)).status).toBe(200);
    }
    expect(await refundEntries(ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(29 * CREDIT);
  });
});

describe('a refund moves the ledger only once Stripe says it succeeded', () => {
  it('a pending refund is not taken; once it succeeds it is, once, whichever event brings it', async () => {
    const { ws, piId } = await paidDeposit('Pending refund', 'card:pending-refund', 'pm_card_pendingRefund', 1000);
    const refund = await stripeCall('/v1/refunds', { payment_intent: piId, amount: '300' });
    expect(refund.body).toMatchObject({ status: 'pending', amount: 300 });
    for (const event of [...(await eventsFor('charge.refunded', piId)), ...(await eventsFor('refund.created', refund.body.id))]) expect((await deliver(event)).status).toBe(200);
    expect(await refundEntries(ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(30 * CREDIT);

    expect((await settleRefund(refund.body.id, 'succeed')).status).toBe('succeeded');
    const updates = [...(await eventsFor('charge.refund.updated', refund.body.id)), ...(await eventsFor('refund.updated', refund.body.id))];
    expect(updates).toHaveLength(2);
    for (const event of [...updates, ...updates]) expect((await deliver(event)).status).toBe(200);
    expect(await refundEntries(ws.workspaceId)).toEqual([{ key: `refund:${refund.body.id}`, status: 'completed', amount: -3 * CREDIT, forgiven: 0, description: 'Refund of a top-up ($3.00)' }]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(27 * CREDIT);

    const report = await reconcile();
    expect(report.mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([]);
    expect(await refundEntries(ws.workspaceId)).toHaveLength(1);
  });

  it('a refund that fails after it was taken gives the credits back as its own entry, once', async () => {
    const { ws, piId } = await paidDeposit('Failed refund', 'card:failed-refund', 'pm_card_refundFail', 1200);
    const refund = await stripeCall('/v1/refunds', { payment_intent: piId, amount: '500' });
    expect(refund.body.status).toBe('succeeded'); // as Stripe's refund-fail card: succeeded first, failed later
    expect((await deliver(await eventFor('charge.refunded', piId))).status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(27 * CREDIT);

    const failed = await settleRefund(refund.body.id, 'fail');
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    const events = ['charge.refund.updated', 'refund.updated', 'refund.failed'];
    const delivered = (await Promise.all(events.map((type) => eventFor(type, refund.body.id)))).filter((e) => (e.data.object as { status: string }).status === 'failed');
    expect(delivered).toHaveLength(3);
    // Each delivered twice, and the first event again: one entry gives the $5 back.
    for (const event of [...delivered, ...delivered]) expect((await deliver(event)).status).toBe(200);
    expect((await deliver({ ...(await eventFor('charge.refunded', piId)), id: 'evt_charge_refunded_again' })).status).toBe(200);
    expect(await refundEntries(ws.workspaceId)).toEqual([
      { key: `refund:${refund.body.id}`, status: 'completed', amount: -5 * CREDIT, forgiven: 0, description: 'Refund of a top-up ($5.00)' },
      { key: `refund:${refund.body.id}:reversed`, status: 'completed', amount: 5 * CREDIT, forgiven: 0, description: 'Refund of a top-up ($5.00) failed: credits given back' },
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(32 * CREDIT);

    const report = await reconcile();
    expect(report.mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([]);
    expect(await refundEntries(ws.workspaceId)).toHaveLength(2);
  });

  it('a refund that failed before any of its events arrived moves nothing at all', async () => {
    const { ws, piId } = await paidDeposit('Failed before seen', 'card:failed-early', 'pm_card_refundFail', 800);
    const refund = await stripeCall('/v1/refunds', { payment_intent: piId, amount: '800' });
    await settleRefund(refund.body.id, 'fail');
    expect((await deliver(await eventFor('refund.failed', refund.body.id))).status).toBe(200);
    expect((await deliver(await eventFor('charge.refunded', piId))).status).toBe(200);
    expect(await refundEntries(ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(28 * CREDIT);
    expect((await reconcile()).mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([]);
  });

  it('the webhook and reconciliation, in any number, apply each refund once', async () => {
    const { ws, piId } = await paidDeposit('Replayed refunds', 'card:replayed', 'pm_card_visa', 2000);
    const first = await stripeCall('/v1/refunds', { payment_intent: piId, amount: '250' });
    const second = await stripeCall('/v1/refunds', { payment_intent: piId, amount: '750' });
    for (const event of await eventsFor('charge.refunded', piId)) {
      expect((await deliver(event)).status).toBe(200);
      expect((await deliver(event)).body).toMatchObject({ duplicate: true });
    }
    const after = await reconcile();
    expect(after.mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([]);
    expect((await reconcile()).mismatches.filter((m) => m.workspaceId === ws.workspaceId)).toEqual([]);
    for (const event of await eventsFor('refund.created', piId)) expect((await deliver(event)).status).toBe(200);
    expect((await refundEntries(ws.workspaceId)).map((r) => [r.key, r.amount]).sort()).toEqual(
      [
        [`refund:${first.body.id}`, -2_500_000],
        [`refund:${second.body.id}`, -7_500_000],
      ].sort(),
    );
    expect((await credits(ws.adminKey)).balanceMicros).toBe(40 * CREDIT - 10 * CREDIT);
  });
});

describe('refunds never take back more than the deposit credited', () => {
  it('refunds of a payment larger than its deposit stop at the deposit', async () => {
    // A PaymentIntent naming a $6 deposit that Stripe charged $10 for (what a bug or a key holder could make).
    const { ws, piId } = await paidDeposit('Refund cap', 'card:capped', 'pm_card_visa', 600, 1000);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(26 * CREDIT);
    const first = await stripeCall('/v1/refunds', { payment_intent: piId, amount: '400' });
    const second = await stripeCall('/v1/refunds', { payment_intent: piId, amount: '600' });
    for (const event of await eventsFor('charge.refunded', piId)) expect((await deliver(event)).status).toBe(200);
    const taken = await refundEntries(ws.workspaceId);
    expect(taken.map((r) => [r.key, r.amount, r.forgiven])).toEqual([
      [`refund:${first.body.id}`, -4 * CREDIT, 0],
      [`refund:${second.body.id}`, -2 * CREDIT, 0],
    ]);
    expect(taken.reduce((sum, r) => sum + r.amount - r.forgiven, 0)).toBe(-6 * CREDIT);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
    // Reconciliation names what the cap refused (and the payment that did not match its deposit).
    const flagged = (await reconcile()).mismatches.filter((m) => m.workspaceId === ws.workspaceId).map((m) => m.stripeObjectId);
    expect(flagged).toEqual(expect.arrayContaining([piId, second.body.id]));
    expect(await refundEntries(ws.workspaceId)).toHaveLength(2);
  });
});
