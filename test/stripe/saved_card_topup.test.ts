import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';
import { credits, EMULATOR, setCardOutcome, stripeCall, topup, workspaceWithSavedCard } from './stripe_helpers';

const CREDIT = 1_000_000;

async function intentsCreatedFor(workspaceId: string) {
  const body = (await (await fetch(`${EMULATOR}/__emulator/requests`)).json()) as any;
  return ((body.data ?? body) as any[]).filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && JSON.stringify(r).includes(workspaceId));
}

const deposits = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits/history?type=deposit', apiKey)).body.data as any[];

describe('POST /v1/billing/topup with paymentMethod "saved"', () => {
  it('charges the default card at once: completed, with a paid invoice; a retry with the key is the same deposit, charged and invoiced once', async () => {
    const ws = await workspaceWithSavedCard('Saved top-up');
    const first = await topup(ws.adminKey, 4000, 'saved-1', 'saved');
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ checkoutUrl: null, sessionId: null, transaction: { id: first.body.transactionId, type: 'deposit', status: 'completed', amountMicros: 40 * CREDIT } });
    const again = await topup(ws.adminKey, 4000, 'saved-1', 'saved');
    expect(again.status).toBe(201);
    expect(again.body.transactionId).toBe(first.body.transactionId);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(60 * CREDIT);
    expect(await intentsCreatedFor(ws.workspaceId)).toHaveLength(1);
    // Its invoice: paid out of band (the PaymentIntent paid it), linked from the history.
    expect(first.body.transaction.invoiceUrl).toMatch(/\/invoices\/in_/);
    const invoices = (await stripeCall(`/v1/invoices?customer=${ws.customerId}&limit=100`, {}, 'GET')).body.data as any[];
    const offSession = invoices.filter((i) => i.paid_out_of_band);
    expect(offSession).toEqual([expect.objectContaining({ status: 'paid', amount_paid: 4000, hosted_invoice_url: first.body.transaction.invoiceUrl })]);
    expect(offSession[0].lines.data).toEqual([expect.objectContaining({ amount: 4000, description: 'burnrate credit top-up' })]);
    const history = await deposits(ws.adminKey);
    expect(history.find((d) => d.id === first.body.transactionId)?.invoiceUrl).toBe(first.body.transaction.invoiceUrl);

    // The same key with another amount, or with Checkout, is a conflict, not a second top-up.
    const otherAmount = await topup(ws.adminKey, 4100, 'saved-1', 'saved');
    expect([otherAmount.status, otherAmount.body.error?.code]).toEqual([409, 'idempotency_conflict']);
    const otherMethod = await topup(ws.adminKey, 4000, 'saved-1', 'checkout');
    expect([otherMethod.status, otherMethod.body.error?.code]).toEqual([409, 'idempotency_conflict']);
    expect(await deposits(ws.adminKey)).toHaveLength(2); // the Checkout one that saved the card, and this one
  });

  it('a decline is 402 payment_failed with the deposit recorded as failed, and its replay too', async () => {
    const ws = await workspaceWithSavedCard('Saved declined');
    await setCardOutcome(ws.paymentMethodId, 'decline');
    const declined = await topup(ws.adminKey, 2500, 'declined-1', 'saved');
    expect(declined.status).toBe(402);
    expect(declined.body.error.code).toBe('payment_failed');
    const failed = (await deposits(ws.adminKey)).filter((d) => d.status === 'failed');
    expect(failed).toEqual([expect.objectContaining({ amountMicros: 25 * CREDIT, balanceAfterMicros: null })]);
    const replay = await topup(ws.adminKey, 2500, 'declined-1', 'saved');
    expect([replay.status, replay.body.error?.code]).toEqual([402, 'payment_failed']);
    expect(await intentsCreatedFor(ws.workspaceId)).toHaveLength(1); // the replay did not try again
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
  });

  it('no saved card is 409 payment_method_required and records nothing; members may not; bounds are those of any top-up', async () => {
    const ws = await createWorkspace('Saved without card');
    const res = await topup(ws.adminKey, 2500, undefined, 'saved');
    expect([res.status, res.body.error?.code]).toEqual([409, 'payment_method_required']);
    expect(await deposits(ws.adminKey)).toEqual([]);
    const member = await addMember(ws.workspaceId, 'member');
    expect((await topup(member.apiKey, 2500, undefined, 'saved')).status).toBe(403);
    const low = await topup(ws.adminKey, 499, undefined, 'saved');
    expect([low.status, low.body.error?.message]).toEqual([400, expect.stringContaining('amountCents')]);
    const unknown = await publicApi('POST', '/v1/billing/topup', ws.adminKey, { amountCents: 2500, paymentMethod: 'wire' });
    expect([unknown.status, unknown.body.error?.message]).toEqual([400, expect.stringContaining('paymentMethod')]);
  });
});
