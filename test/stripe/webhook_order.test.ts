import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';
import { credits, deliver, EMULATOR, eventFor, payCheckout, topup } from './stripe_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const CREDIT = 1_000_000;

/** A paid $30 top-up refunded by $12 on the emulator, and its three events (not yet delivered). */
async function paidAndRefunded(name: string) {
  const ws = await createWorkspace(name);
  const created = await topup(ws.adminKey, 3000);
  await payCheckout(created.body.sessionId);
  const completed = await eventFor('checkout.session.completed', created.body.sessionId);
  const session = completed.data.object as { payment_intent: string };
  const refund = await fetch(`${EMULATOR}/v1/refunds`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk_test_x', 'content-type': 'application/x-www-form-urlencoded' },
    body: `payment_intent=${session.payment_intent}&amount=1200`,
  });
  expect(refund.status, await refund.clone().text()).toBe(200);
  const refunded = await eventFor('charge.refunded', session.payment_intent);
  // Stripe sends async_payment_succeeded for delayed methods; the same session, another event id.
  const asyncSucceeded = { ...completed, id: `${completed.id}_async`, type: 'checkout.session.async_payment_succeeded' };
  return { ws, created, events: { completed, asyncSucceeded, refunded } as Record<string, unknown> };
}

async function ledgerOf(workspaceId: string) {
  const { results } = await shardD1Of(workspaceId).prepare(
    "SELECT type, status, amount_micros AS amount, forgiven_micros AS forgiven FROM transactions WHERE workspace_id = ? AND type IN ('deposit', 'refund') ORDER BY type",
  )
    .bind(workspaceId)
    .all();
  return results;
}

const permutations = <T,>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

describe('webhooks in any order', () => {
  it.each(permutations(['completed', 'asyncSucceeded', 'refunded']))('%s → %s → %s ends in the same ledger', async (...order) => {
    const { ws, events } = await paidAndRefunded(`Order ${order.join(',')}`);
    for (const name of order) {
      const res = await deliver(events[name]);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    expect(await ledgerOf(ws.workspaceId)).toEqual([
      { type: 'deposit', status: 'completed', amount: 30 * CREDIT, forgiven: 0 },
      { type: 'refund', status: 'completed', amount: -12 * CREDIT, forgiven: 0 },
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(18 * CREDIT);
  });
});

describe('a failure while handling an event', () => {
  it('before the commit answers 5xx and the retry credits; after the commit the retry is a no-op', async () => {
    const ws = await createWorkspace('Injected failure');
    const created = await topup(ws.adminKey, 2500);
    await payCheckout(created.body.sessionId);
    const event = await eventFor('checkout.session.completed', created.body.sessionId);

    // Injected: the credit's batch fails in the workspace's ledger shard (as a D1 outage would).
    await shardD1Of(ws.workspaceId).exec(
      `CREATE TRIGGER inject_stripe_failure BEFORE UPDATE ON balances BEGIN SELECT RAISE(ABORT, 'injected webhook failure'); END;`,
    );
    const failed = await deliver(event);
    expect(failed.status).toBe(500);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);
    const pending = await publicApi('GET', `/v1/billing/transactions/${created.body.transactionId}`, ws.adminKey);
    expect(pending.body.status).toBe('pending');

    await shardD1Of(ws.workspaceId).exec('DROP TRIGGER inject_stripe_failure;');
    const retried = await deliver(event);
    expect(retried.status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(25 * CREDIT);

    const again = await deliver(event);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(25 * CREDIT);
  });

  it('unknown event types are acknowledged and ignored', async () => {
    const res = await deliver({ id: 'evt_unknown_1', object: 'event', type: 'customer.created', data: { object: { id: 'cus_x' } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ignored: true });
  });
});
