// Issue 23, 7: a Checkout Session Stripe made while burnrate was told nothing (its answer lost or
// late) must not stay payable: the caller heard "nothing was charged". It is expired at once when
// Stripe answers the retry of the same idempotency key, else by reconciliation.
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { expireOrphanedSessions, ORPHAN_GRACE_MS } from '../../workers/stripe/reconciliation/expire_orphans';
import { publicApi } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';
import { EMULATOR, payCheckout, stripeCall, stripeCustomerRow, topup } from './stripe_helpers';

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Creating a Checkout Session reaches Stripe, but its answer is lost, `times` times. */
function loseSessionAnswers(times: number) {
  let lost = 0;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const response = await realFetch(input, init);
    if (method === 'POST' && url === `${EMULATOR}/v1/checkout/sessions` && lost < times) {
      lost += 1;
      throw new TypeError('Network connection lost.');
    }
    return response;
  };
}

const sessionsOf = async (customerId: string) =>
  (await stripeCall(`/v1/checkout/sessions?customer=${customerId}&limit=100`, {}, 'GET')).body.data as Array<{ id: string; status: string; metadata: Record<string, string> }>;
const deposits = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits/history?type=deposit', apiKey)).body.data as any[];

describe('a Checkout Session Stripe answered too late for', () => {
  it('is expired before the caller hears 503; a retry with the same key gets a new session, paid once', async () => {
    const ws = await createWorkspace('Orphan answered late');
    loseSessionAnswers(2); // the request and stripe-node's own retry
    const failed = await topup(ws.adminKey, 2500, 'late-1');
    globalThis.fetch = realFetch;
    expect([failed.status, failed.body.error?.code]).toEqual([503, 'stripe_unavailable']);
    expect(await deposits(ws.adminKey)).toEqual([]);
    const customer = (await stripeCustomerRow(ws.workspaceId))!.customerId;
    const made = await sessionsOf(customer);
    expect(made.length).toBe(1);
    expect(made.map((s) => s.status)).toEqual(['expired']);

    const retried = await topup(ws.adminKey, 2500, 'late-1');
    expect(retried.status).toBe(201);
    expect(retried.body.sessionId).not.toBe(made[0]!.id);
    expect(retried.body.checkoutUrl).toBeTruthy();
    expect((await payCheckout(retried.body.sessionId)).status).toBe(200);
    // The same key again: the same top-up, not a third session.
    const again = await topup(ws.adminKey, 2500, 'late-1');
    expect(again.body.transactionId).toBe(retried.body.transactionId);
    expect((await sessionsOf(customer)).length).toBe(2);
    expect((await deposits(ws.adminKey)).map((d) => d.id)).toEqual([retried.body.transactionId]);
  });

  it('when Stripe does not answer at all, reconciliation expires it after the grace period; a top-up waiting for its payer stays open', async () => {
    const ws = await createWorkspace('Orphan unanswered');
    loseSessionAnswers(Number.POSITIVE_INFINITY);
    const failed = await topup(ws.adminKey, 2500);
    globalThis.fetch = realFetch;
    expect(failed.status).toBe(503);
    const customer = (await stripeCustomerRow(ws.workspaceId))!.customerId;
    const [orphan] = await sessionsOf(customer);
    expect(orphan).toMatchObject({ status: 'open', metadata: { workspaceId: ws.workspaceId } });
    const waiting = await topup(ws.adminKey, 3000);
    expect(waiting.status).toBe(201);

    const workerEnv = env as unknown as Env;
    // Within the grace period nothing is touched: the request that made a session may still be opening its deposit.
    expect((await expireOrphanedSessions(workerEnv, Date.now())).repaired.filter((r) => r.workspaceId === ws.workspaceId)).toEqual([]);
    const later = await expireOrphanedSessions(workerEnv, Date.now() + ORPHAN_GRACE_MS + 60_000);
    expect(later.repaired.filter((r) => r.workspaceId === ws.workspaceId)).toEqual([
      { workspaceId: ws.workspaceId, stripeObjectId: orphan!.id, transactionId: orphan!.metadata.transactionId, what: expect.stringContaining('no deposit was recorded') },
    ]);
    const now = new Map((await sessionsOf(customer)).map((s) => [s.id, s.status]));
    expect(now.get(orphan!.id)).toBe('expired');
    expect(now.get(waiting.body.sessionId)).toBe('open');
    expect((await deposits(ws.adminKey)).map((d) => [d.id, d.status])).toEqual([[waiting.body.transactionId, 'pending']]);
  });
});
