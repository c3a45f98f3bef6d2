// Disputes (chargebacks) of deposits: the emulator opens, withdraws, reinstates and closes them
// with Stripe's own events, delivered here in any order and any number of times.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { deduct } from '../helpers/fixtures';
import { credits, deliver, EMULATOR, eventsFor, stripeCall, workspaceWithSavedCard } from './stripe_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const CREDIT = 1_000_000;

const disputeEntries = async (workspaceId: string) =>
  (
    await shardD1Of(workspaceId).prepare(
      `SELECT idempotency_key AS key, status, amount_micros AS amount, forgiven_micros AS forgiven, description, id FROM transactions
       WHERE workspace_id = ? AND type = 'dispute' ORDER BY seq`,
    )
      .bind(workspaceId)
      .all<{ key: string; status: string; amount: number; forgiven: number; description: string; id: string }>()
  ).results;

/** The charge of the workspace's first Checkout deposit (workspaceWithSavedCard's $20). */
async function firstCharge(workspaceId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT payment_intent_id AS pi FROM checkout_sessions WHERE workspace_id = ? AND payment_intent_id IS NOT NULL').bind(workspaceId).first<{ pi: string }>();
  const intent = await stripeCall(`/v1/payment_intents/${row!.pi}`, {}, 'GET');
  return intent.body.latest_charge as string;
}

const control = async (path: string, body: unknown = {}) => {
  const res = await fetch(`${EMULATOR}/__emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, path).toBe(200);
  return (await res.json()) as { id: string; status: string };
};

/** Every event of the dispute so far, newest first. */
const disputeEvents = async (disputeId: string) => (await eventsFor('charge.dispute.created', disputeId)).concat(
  ...(await Promise.all(['charge.dispute.funds_withdrawn', 'charge.dispute.funds_reinstated', 'charge.dispute.closed'].map((t) => eventsFor(t, disputeId)))),
);

const disputedNotices = async (workspaceId: string) =>
  (await shardD1Of(workspaceId).prepare("SELECT data_json FROM platform_events WHERE workspace_id = ? AND type = 'payment.disputed'").bind(workspaceId).all<{ data_json: string }>()).results.map(
    (r) => JSON.parse(r.data_json) as Record<string, unknown>,
  );

describe('disputes', () => {
  it('withdrawn funds are taken back once, whatever the order and number of deliveries, and the platform hears payment.disputed', async () => {
    const ws = await workspaceWithSavedCard('Dispute once');
    const dispute = await control(`/charges/${await firstCharge(ws.workspaceId)}/dispute`, { amount: 1500 });
    const events = await disputeEvents(dispute.id);
    expect(events.map((e) => e.type).sort()).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
    // Oldest last: deliver the withdrawal first, then creation, then both again.
    for (const event of [...events, ...[...events].reverse()]) expect((await deliver(event)).status).toBe(200);
    expect((await deliver(events[0]!)).body).toMatchObject({ duplicate: true });

    const entries = await disputeEntries(ws.workspaceId);
    expect(entries).toEqual([
      expect.objectContaining({ key: `dispute:${dispute.id}:withdrawn`, status: 'completed', amount: -15 * CREDIT, forgiven: 0, description: 'Dispute of a top-up ($15.00): funds withdrawn' }),
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(5 * CREDIT);
    expect(await disputedNotices(ws.workspaceId)).toEqual([
      { disputeId: dispute.id, status: 'needs_response', disputedMicros: 15 * CREDIT, transactionId: entries[0]!.id, amountMicros: -15 * CREDIT },
    ]);
    // It is a `dispute` transaction in the public history.
    const history = await publicApi('GET', '/v1/billing/credits/history?type=dispute', ws.adminKey);
    expect(history.body.data).toEqual([expect.objectContaining({ id: entries[0]!.id, type: 'dispute', amountMicros: -15 * CREDIT, status: 'completed' })]);
  });

  it('never below zero: what the balance cannot cover is forgiven, and a won dispute gives back exactly what was taken, once', async () => {
    const ws = await workspaceWithSavedCard('Dispute forgiven');
    expect((await deduct(ws.workspaceId, 18 * CREDIT, 'spend')).status).toBe(201); // $2 left
    const dispute = await control(`/charges/${await firstCharge(ws.workspaceId)}/dispute`);
    for (const event of await disputeEvents(dispute.id)) expect((await deliver(event)).status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);

    expect((await control(`/disputes/${dispute.id}/close`, { status: 'won' })).status).toBe('won');
    const events = await disputeEvents(dispute.id);
    const closing = events.filter((e) => e.type === 'charge.dispute.closed' || e.type === 'charge.dispute.funds_reinstated');
    expect(closing).toHaveLength(2);
    // closed (newest) before funds_reinstated, twice, then every event of the dispute again.
    for (const event of [...closing, ...closing, ...events]) expect((await deliver(event)).status).toBe(200);

    expect(await disputeEntries(ws.workspaceId)).toEqual([
      expect.objectContaining({ key: `dispute:${dispute.id}:withdrawn`, amount: -2 * CREDIT, forgiven: 18 * CREDIT }),
      expect.objectContaining({ key: `dispute:${dispute.id}:reinstated`, amount: 2 * CREDIT, forgiven: 0, description: 'Dispute of a top-up ($20.00) won: funds reinstated' }),
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(2 * CREDIT);
  });

  it('a reinstatement that arrives first (the withdrawal never delivered) takes and gives back in order: net zero', async () => {
    const ws = await workspaceWithSavedCard('Dispute reinstated first');
    const dispute = await control(`/charges/${await firstCharge(ws.workspaceId)}/dispute`, { amount: 700 });
    await control(`/disputes/${dispute.id}/reinstate`);
    const [reinstated] = await eventsFor('charge.dispute.funds_reinstated', dispute.id);
    expect((await deliver(reinstated)).status).toBe(200);
    expect((await disputeEntries(ws.workspaceId)).map((e) => [e.key, e.amount])).toEqual([
      [`dispute:${dispute.id}:withdrawn`, -7 * CREDIT],
      [`dispute:${dispute.id}:reinstated`, 7 * CREDIT],
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
  });

  it('an inquiry withdraws nothing', async () => {
    const ws = await workspaceWithSavedCard('Dispute inquiry');
    const inquiry = await control(`/charges/${await firstCharge(ws.workspaceId)}/dispute`, { inquiry: true });
    expect(inquiry.status).toBe('warning_needs_response');
    for (const event of await disputeEvents(inquiry.id)) expect((await deliver(event)).status).toBe(200);
    expect(await disputeEntries(ws.workspaceId)).toEqual([]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
  });

  it('auto-recharge does not charge while a dispute is open, and does once it is closed', async () => {
    const ws = await workspaceWithSavedCard('Dispute blocks recharge');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 })).status).toBe(200);
    const dispute = await control(`/charges/${await firstCharge(ws.workspaceId)}/dispute`, { amount: 500 });
    for (const event of await disputeEvents(dispute.id)) expect((await deliver(event)).status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(15 * CREDIT);
    expect((await deduct(ws.workspaceId, 8 * CREDIT, 'below-threshold')).status).toBe(201); // $7 < $10
    const recharges = () => shardD1Of(ws.workspaceId).prepare("SELECT status, amount_micros AS amount FROM transactions WHERE workspace_id = ? AND type = 'auto_recharge'").bind(ws.workspaceId).all();
    expect((await recharges()).results).toEqual([]);
    expect((await deduct(ws.workspaceId, CREDIT, 'still-open')).status).toBe(201);
    expect((await recharges()).results).toEqual([]);

    await control(`/disputes/${dispute.id}/close`, { status: 'lost' });
    const [closed] = await eventsFor('charge.dispute.closed', dispute.id);
    expect((await deliver(closed)).status).toBe(200);
    expect((await deduct(ws.workspaceId, CREDIT, 'after-close')).status).toBe(201); // $5: recharges $25
    expect((await recharges()).results).toEqual([{ status: 'completed', amount: 25 * CREDIT }]);
    // A lost dispute keeps what was withdrawn: no reinstatement.
    expect((await disputeEntries(ws.workspaceId)).map((e) => e.key)).toEqual([`dispute:${dispute.id}:withdrawn`]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(30 * CREDIT);
  });
});
