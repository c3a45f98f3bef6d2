// Issue 23: Stripe's definite refusals of a saved-card payment (the customer deleted at Stripe, the
// card detached outside burnrate) fail the deposit at once; only an answer Stripe may still act on
// (no answer, a 5xx) leaves it pending for the webhook and reconciliation.
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { WorkspaceLedger } from '../../workers/ledger/object/workspace_ledger';
import { internal, publicApi } from '../helpers/api';
import { deduct, grant, unique } from '../helpers/fixtures';
import { expectInvariant } from '../helpers/ledger_checks';
import { ledgerRows, ledgerStub } from '../ledger/ledger_helpers';
import { credits, stripeCall, topup, workspaceWithSavedCard } from './stripe_helpers';

const CREDIT = 1_000_000;

const deleteCustomer = (customerId: string) => stripeCall(`/v1/customers/${customerId}`, {}, 'DELETE');
const detachCard = (paymentMethodId: string) => stripeCall(`/v1/payment_methods/${paymentMethodId}/detach`);
const history = async (apiKey: string, type: string) => (await publicApi('GET', `/v1/billing/credits/history?type=${type}`, apiKey)).body.data as any[];

describe('a saved-card top-up Stripe refuses', () => {
  it('the customer deleted at Stripe: 402 payment_failed, the deposit failed (not 201 pending), its replay too', async () => {
    const ws = await workspaceWithSavedCard('Customer deleted');
    expect((await deleteCustomer(ws.customerId)).body).toEqual({ id: ws.customerId, object: 'customer', deleted: true });
    const res = await topup(ws.adminKey, 2500, 'gone-1', 'saved');
    expect([res.status, res.body.error?.code]).toEqual([402, 'payment_failed']);
    const failed = (await history(ws.adminKey, 'deposit')).filter((d) => d.status === 'failed');
    expect(failed).toEqual([expect.objectContaining({ amountMicros: 25 * CREDIT, balanceAfterMicros: null })]);
    expect(res.body.error.message).toContain(failed[0].id);
    const replay = await topup(ws.adminKey, 2500, 'gone-1', 'saved');
    expect([replay.status, replay.body.error?.code]).toEqual([402, 'payment_failed']);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
    await expectInvariant(ws.workspaceId);
  });

  it('the card detached outside burnrate: 402 payment_failed with the deposit failed', async () => {
    const ws = await workspaceWithSavedCard('Card detached');
    expect((await detachCard(ws.paymentMethodId)).status).toBe(200);
    const res = await topup(ws.adminKey, 3000, undefined, 'saved');
    expect([res.status, res.body.error?.code]).toEqual([402, 'payment_failed']);
    expect((await history(ws.adminKey, 'deposit')).map((d) => d.status).sort()).toEqual(['completed', 'failed']);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
  });
});

describe('an auto-recharge Stripe refuses', () => {
  it('the customer deleted: each try is failed at once, tells the platform, and counts toward the three that turn auto-top-up off', async () => {
    const ws = await workspaceWithSavedCard('Recharge customer deleted');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1500, topupAmountCents: 2500 })).status).toBe(200);
    await deleteCustomer(ws.customerId);
    expect((await deduct(ws.workspaceId, 6 * CREDIT, 'below-1')).status).toBe(201);
    expect((await history(ws.adminKey, 'auto_recharge')).map((e) => e.status)).toEqual(['failed']);
    for (const round of [2, 3]) {
      await grant(ws.workspaceId, 6 * CREDIT, `above-${round}`);
      expect((await deduct(ws.workspaceId, 6 * CREDIT, `below-${round}`)).status).toBe(201);
    }
    expect((await history(ws.adminKey, 'auto_recharge')).map((e) => e.status)).toEqual(['failed', 'failed', 'failed']);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.enabled).toBe(false);
    const events = await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/events?type=auto_recharge.failed`);
    expect(events.body.data.map((e: any) => e.data).sort((a: any, b: any) => a.attempt - b.attempt)).toEqual(
      [1, 2, 3].map((attempt) => ({ transactionId: expect.stringMatching(/^txn_/), attempt, declineCode: 'resource_missing', disabled: attempt === 3 })),
    );
    await expectInvariant(ws.workspaceId);
  });
});

describe('a saved-card payment Stripe did not decide', () => {
  type Writes = Pick<WorkspaceLedger, 'depositWithSavedCard'>;

  /** The object's deposit with Stripe's PaymentIntent call answered by `answer` instead. */
  async function depositWhileStripe(workspaceId: string, answer: () => Promise<Response>) {
    const key = `card:${unique('undecided')}`;
    const result = await runInDurableObject(ledgerStub(workspaceId), async (instance) => {
      const realFetch = globalThis.fetch;
      globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = input instanceof Request ? input.url : String(input);
        return url.includes('/v1/payment_intents') ? answer() : realFetch(input, init);
      };
      try {
        return await (instance as unknown as Writes).depositWithSavedCard({ workspaceId, key, amountCents: 700, description: 'Credit top-up ($7.00), saved card' });
      } finally {
        globalThis.fetch = realFetch;
      }
    });
    return { key, result };
  }

  it('a 5xx (api_error) leaves the deposit pending for the webhook and reconciliation', async () => {
    const ws = await workspaceWithSavedCard('Stripe 500');
    const { key, result } = await depositWhileStripe(ws.workspaceId, async () =>
      Response.json({ error: { type: 'api_error', message: 'An unknown error occurred' } }, { status: 500 }),
    );
    expect(result).toMatchObject({ ok: true, value: { status: 'pending' } });
    expect((await ledgerRows(ws.workspaceId)).filter((r) => r.idempotency_key === key).map((r) => r.status)).toEqual(['pending']);
  });

  it('no answer (the connection failed) leaves it pending too', async () => {
    const ws = await workspaceWithSavedCard('Stripe unreachable');
    const { result } = await depositWhileStripe(ws.workspaceId, async () => {
      throw new TypeError('Network connection lost.');
    });
    expect(result).toMatchObject({ ok: true, value: { status: 'pending' } });
  });

  it('a rate limit (429) leaves it pending too', async () => {
    const ws = await workspaceWithSavedCard('Stripe rate limit');
    const { result } = await depositWhileStripe(ws.workspaceId, async () =>
      Response.json({ error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } }, { status: 429 }),
    );
    expect(result).toMatchObject({ ok: true, value: { status: 'pending' } });
  });
});
