import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { deduct } from '../helpers/fixtures';
import { credits, deliver, eventFor, eventsFor, offSessionIntent, stripeCall, topup, workspaceWithSavedCard } from './stripe_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const CREDIT = 1_000_000;

const entries = async (workspaceId: string, types: string[]) =>
  (
    await shardD1Of(workspaceId).prepare(
      `SELECT type, status, amount_micros AS amount, forgiven_micros AS forgiven, description, invoice_url AS invoiceUrl FROM transactions
       WHERE workspace_id = ? AND type IN (${types.map(() => '?').join(',')}) ORDER BY created_at_ms, id`,
    )
      .bind(workspaceId, ...types)
      .all<{ type: string; status: string; amount: number; forgiven: number; description: string; invoiceUrl: string | null }>()
  ).results;

/** The PaymentIntent burnrate made for a workspace's deposit, found through its succeeded event. */
async function intentIdFor(workspaceId: string, keyPart: string) {
  const event = (await eventsFor('payment_intent.succeeded', workspaceId)).find((e) => JSON.stringify(e).includes(keyPart));
  if (!event) throw new Error(`no payment_intent.succeeded for ${keyPart}`);
  return (event.data.object as { id: string }).id;
}

const ledger = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));


describe('refunds of every kind of deposit', () => {
  it('a saved-card top-up refunded twice, partially: one refund entry per Stripe refund, however often the events come', async () => {
    const ws = await workspaceWithSavedCard('Refund saved card');
    const paid = await topup(ws.adminKey, 1500, 'saved-refund-1', 'saved');
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ checkoutUrl: null, sessionId: null, transaction: { type: 'deposit', status: 'completed', amountMicros: 15 * CREDIT } });
    // The deposit's invoice link is a paid Stripe invoice (paid out of band: the PaymentIntent paid).
    expect(paid.body.transaction.invoiceUrl).toMatch(/\/invoices\/in_/);
    expect((await fetch(paid.body.transaction.invoiceUrl)).status).toBe(200);
    const piId = await intentIdFor(ws.workspaceId, 'card:api-saved-refund-1');

    expect((await stripeCall('/v1/refunds', { payment_intent: piId, amount: '400' })).status).toBe(200);
    expect((await stripeCall('/v1/refunds', { payment_intent: piId, amount: '600' })).status).toBe(200);
    const refunded = await eventsFor('charge.refunded', piId);
    expect(refunded).toHaveLength(2);
    // Newest first, each twice, and a redelivery of the first: each refund object counts once.
    for (const event of [...refunded, ...refunded.reverse(), refunded[0]!]) expect((await deliver(event)).status).toBe(200);

    const refunds = await entries(ws.workspaceId, ['refund']);
    expect(refunds.map((r) => [r.amount, r.forgiven, r.description]).sort()).toEqual(
      [
        [-4 * CREDIT, 0, 'Refund of a top-up ($4.00)'],
        [-6 * CREDIT, 0, 'Refund of a top-up ($6.00)'],
      ].sort(),
    );
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT + 15 * CREDIT - 10 * CREDIT);
  });

  it('an auto-recharge refunded in full after the balance was spent: the refund stops at zero and the rest is forgiven', async () => {
    const ws = await workspaceWithSavedCard('Refund auto-recharge');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 })).status).toBe(200);
    expect((await deduct(ws.workspaceId, 12 * CREDIT, 'cross')).status).toBe(201); // $20 → $8: recharges $25 → $33
    const [recharge] = await entries(ws.workspaceId, ['auto_recharge']);
    expect(recharge).toMatchObject({ status: 'completed', amount: 25 * CREDIT });
    expect(recharge!.invoiceUrl).toMatch(/\/invoices\/in_/);
    // Auto-top-up off, so that spending (and the refund) make no other recharge.
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: false, thresholdCents: 1000, topupAmountCents: 2500 })).status).toBe(200);
    expect((await deduct(ws.workspaceId, 28 * CREDIT, 'spend')).status).toBe(201); // $5 left

    const piId = await intentIdFor(ws.workspaceId, '"auto:');
    expect((await stripeCall('/v1/refunds', { payment_intent: piId })).status).toBe(200);
    expect((await deliver(await eventFor('charge.refunded', piId))).status).toBe(200);
    expect(await entries(ws.workspaceId, ['refund'])).toEqual([
      expect.objectContaining({ status: 'completed', amount: -5 * CREDIT, forgiven: 20 * CREDIT, description: 'Refund of an auto-recharge ($25.00)' }),
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);
  });

  it('a refund of a deposit the ledger holds as failed takes nothing back (it never credited anything)', async () => {
    const ws = await workspaceWithSavedCard('Refund of failed');
    const stub = ledger(ws.workspaceId);
    await stub.openDeposit({ workspaceId: ws.workspaceId, key: 'card:failed-then-paid', type: 'deposit', amountMicros: 6 * CREDIT, description: 'Credit top-up ($6.00), saved card' });
    await stub.closeDeposit({ workspaceId: ws.workspaceId, key: 'card:failed-then-paid', outcome: 'failed' });
    const intent = await offSessionIntent(ws, 'card:failed-then-paid', 600);
    await stripeCall('/v1/refunds', { payment_intent: intent.body.id });
    const res = await deliver(await eventFor('charge.refunded', intent.body.id));
    expect(res.status).toBe(200);
    expect(await entries(ws.workspaceId, ['refund'])).toEqual([]);
    expect((await deliver(await eventFor('charge.refunded', intent.body.id))).body).toMatchObject({ duplicate: true });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
  });

  it('a refund of a charge that is not burnrate\'s is acknowledged and moves nothing', async () => {
    const ws = await workspaceWithSavedCard('Foreign charge');
    const foreign = await stripeCall('/v1/payment_intents', { amount: '900', currency: 'usd', customer: ws.customerId, payment_method: ws.paymentMethodId, off_session: 'true', confirm: 'true' });
    expect(foreign.body.status).toBe('succeeded');
    await stripeCall('/v1/refunds', { payment_intent: foreign.body.id });
    expect((await deliver(await eventFor('charge.refunded', foreign.body.id))).status).toBe(200);
    expect(await entries(ws.workspaceId, ['refund'])).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
  });
});

describe('saved-card payments Stripe left undecided', () => {
  it('payment_intent.succeeded completes a pending saved-card deposit once, with its paid invoice', async () => {
    const ws = await workspaceWithSavedCard('Undecided paid');
    const opened = await ledger(ws.workspaceId).openDeposit({ workspaceId: ws.workspaceId, key: 'card:undecided-1', type: 'deposit', amountMicros: 7 * CREDIT, description: 'Credit top-up ($7.00), saved card' });
    expect(opened.ok && opened.value.status).toBe('pending');
    const intent = await offSessionIntent(ws, 'card:undecided-1', 700);
    expect(intent.body.status).toBe('succeeded');
    const event = await eventFor('payment_intent.succeeded', intent.body.id);
    expect((await deliver(event)).status).toBe(200);
    expect((await deliver({ ...event, id: `${event.id}_again` })).status).toBe(200);
    const [deposit] = (await entries(ws.workspaceId, ['deposit'])).filter((d) => d.amount === 7 * CREDIT);
    expect(deposit).toMatchObject({ status: 'completed' });
    expect(deposit!.invoiceUrl).toMatch(/\/invoices\/in_/);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(27 * CREDIT);
    // One invoice for the two deliveries (the second found the deposit closed and made none).
    const invoices = (await stripeCall(`/v1/invoices?customer=${ws.customerId}&limit=100`, {}, 'GET')).body.data as any[];
    expect(invoices.filter((i) => i.metadata.transactionKey === 'card:undecided-1')).toEqual([
      expect.objectContaining({ status: 'paid', amount_paid: 700, paid_out_of_band: true, hosted_invoice_url: deposit!.invoiceUrl }),
    ]);
  });

  it('payment_intent.payment_failed fails it, and nothing is added', async () => {
    const ws = await workspaceWithSavedCard('Undecided declined');
    await ledger(ws.workspaceId).openDeposit({ workspaceId: ws.workspaceId, key: 'card:undecided-2', type: 'deposit', amountMicros: 8 * CREDIT, description: 'Credit top-up ($8.00), saved card' });
    const declining = await stripeCall('/v1/payment_methods/pm_card_chargeCustomerFail/attach', { customer: ws.customerId });
    const intent = await offSessionIntent({ ...ws, paymentMethodId: declining.body.id }, 'card:undecided-2', 800);
    expect(intent.status).toBe(402);
    const piId = intent.body.error.payment_intent.id as string;
    expect((await deliver(await eventFor('payment_intent.payment_failed', piId))).status).toBe(200);
    const [deposit] = (await entries(ws.workspaceId, ['deposit'])).filter((d) => d.amount === 8 * CREDIT);
    expect(deposit).toMatchObject({ status: 'failed' });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
  });

  it('a refund that arrives before the payment was confirmed completes the deposit first, then refunds it', async () => {
    const ws = await workspaceWithSavedCard('Refund first');
    await ledger(ws.workspaceId).openDeposit({ workspaceId: ws.workspaceId, key: 'auto:refund-first', type: 'auto_recharge', amountMicros: 10 * CREDIT, description: 'Auto-recharge ($10.00) below $5.00' });
    const intent = await offSessionIntent(ws, 'auto:refund-first', 1000);
    await stripeCall('/v1/refunds', { payment_intent: intent.body.id, amount: '250' });
    expect((await deliver(await eventFor('charge.refunded', intent.body.id))).status).toBe(200);
    // The late payment_intent.succeeded changes nothing.
    expect((await deliver(await eventFor('payment_intent.succeeded', intent.body.id))).status).toBe(200);
    expect(await entries(ws.workspaceId, ['auto_recharge', 'refund'])).toEqual([
      expect.objectContaining({ type: 'auto_recharge', status: 'completed', amount: 10 * CREDIT }),
      expect.objectContaining({ type: 'refund', amount: -2_500_000, description: 'Refund of an auto-recharge ($2.50)' }),
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT + 10 * CREDIT - 2_500_000);
  });
});
