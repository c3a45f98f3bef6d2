// A saved-card top-up is two grouped writes of the ledger object (open the pending deposit, then
// close it) with the off-session PaymentIntent between them: while Stripe is being asked, the
// workspace's other money writes commit. Stripe is held here by wrapping the fetch that stripe-node
// picks up when the object calls it (the object runs in this test's isolate).
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { LedgerResult } from '../../workers/ledger/ledger_result';
import type { WorkspaceLedger } from '../../workers/ledger/object/workspace_ledger';
import { unique } from '../helpers/fixtures';
import { expectInvariant } from '../helpers/ledger_checks';
import { ledgerRows, ledgerStub } from '../ledger/ledger_helpers';
import { workspaceWithSavedCard } from './stripe_helpers';

const CREDIT = 1_000_000;
type Writes = Pick<WorkspaceLedger, 'depositWithSavedCard' | 'postEntry'>;

describe('saved-card top-up and the group commit', () => {
  it('holds no group open across the Stripe call: a deduction sent meanwhile is answered before Stripe is', async () => {
    const ws = await workspaceWithSavedCard('Saved card outside the group'); // 20 credits from its Checkout
    const key = `card:${unique('outside')}`;
    const result = await runInDurableObject(ledgerStub(ws.workspaceId), async (instance) => {
      const object = instance as unknown as Writes;
      const realFetch = globalThis.fetch;
      let release!: () => void;
      const stripeAnswers = new Promise<void>((resolve) => (release = resolve));
      let asked!: () => void;
      const stripeAsked = new Promise<void>((resolve) => (asked = resolve));
      globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = input instanceof Request ? input.url : String(input);
        if (url.includes('/v1/payment_intents')) {
          asked();
          await stripeAnswers;
        }
        return realFetch(input, init);
      };
      try {
        const deposit = object.depositWithSavedCard({ workspaceId: ws.workspaceId, key, amountCents: 500, description: 'Credit top-up ($5.00), saved card' });
        await stripeAsked;
        // The pending entry is durable before Stripe is asked.
        const pending = (await ledgerRows(ws.workspaceId)).filter((r) => r.idempotency_key === key);
        const charge = object.postEntry({ workspaceId: ws.workspaceId, id: unique('meanwhile'), kind: 'deduction', amountMicros: 3 * CREDIT, description: 'Meanwhile' });
        const meanwhile = await Promise.race([charge, new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 5_000))]);
        release();
        return { pending, meanwhile, deposit: await deposit };
      } finally {
        release();
        globalThis.fetch = realFetch;
      }
    });
    expect(result.pending.map((r) => r.status)).toEqual(['pending']);
    expect(result.meanwhile).toMatchObject({ ok: true, replayed: false, value: { balanceAfterMicros: 17 * CREDIT } });
    expect(result.deposit).toMatchObject({ ok: true, replayed: false, value: { type: 'deposit', status: 'completed', amountMicros: 5 * CREDIT, balanceAfterMicros: 22 * CREDIT } });
    expect((result.deposit as LedgerResult<{ invoiceUrl: string | null }>).ok && (result.deposit as { value: { invoiceUrl: string | null } }).value.invoiceUrl).toMatch(/\/invoices\/in_/);
    await expectInvariant(ws.workspaceId);
  });
});
