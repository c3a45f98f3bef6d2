// The public client (rt.billing.*) against the real Worker: every method once, with the values it
// returns checked against what the service recorded.
import { describe, expect, it } from 'vitest';
import type { Transaction } from '../../sdk/src/index';
import { deliver, eventFor, payCheckout } from '../stripe/stripe_helpers';
import { CREDIT_MICROS, internalClient, newMember, newWorkspace, publicClient, recordingFetch, unique } from './sdk_helpers';

const internal = internalClient();

describe('rt.billing', () => {
  it('plan, credits, transaction and auto-top-up settings of a new workspace with a grant', async () => {
    const ws = await newWorkspace('SDK plan');
    const grant = await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: 3 * CREDIT_MICROS, description: 'Welcome credits' });

    const plan = await ws.admin.billing.plan();
    expect(plan.plan).toEqual({ id: 'payg', name: 'Pay as you go' });
    expect(plan.credits).toMatchObject({ balanceMicros: 3 * CREDIT_MICROS, accumulatingMicros: 0, burnRateMicrosPerHour: 0, hoursRemaining: null });
    expect(plan.autoTopup).toMatchObject({ enabled: false, paymentMethod: null });

    const credits = await ws.admin.billing.credits();
    expect(credits).toMatchObject({ balanceMicros: 3 * CREDIT_MICROS, hoursRemaining: null });
    expect(Number.isNaN(Date.parse(credits.updatedAt))).toBe(false);

    const tx = await ws.admin.billing.transaction(grant.id);
    expect(tx).toEqual(grant);
    expect(tx).toMatchObject({ type: 'adjustment', status: 'completed', amountMicros: 3 * CREDIT_MICROS, balanceAfterMicros: 3 * CREDIT_MICROS, description: 'Welcome credits' });

    expect(await ws.admin.billing.autoTopup.get()).toEqual(plan.autoTopup);
  });

  it('history: one page with filters, the cursor of the next', async () => {
    const ws = await newWorkspace('SDK history page');
    const grants: Transaction[] = [];
    for (let i = 1; i <= 3; i++) grants.push(await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: i * CREDIT_MICROS, description: `Grant ${i}` }));

    const first = await ws.admin.billing.history({ limit: 2, type: 'adjustment', status: 'completed' });
    expect(first.data.map((t) => t.id)).toEqual([grants[2]!.id, grants[1]!.id]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await ws.admin.billing.history({ limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ data: [grants[0]], nextCursor: null });
    expect(await ws.admin.billing.history({ type: 'deposit' })).toEqual({ data: [], nextCursor: null });
  });

  it('historyAll: 7 entries in pages of 2, newest first, each once, then it stops', async () => {
    const ws = await newWorkspace('SDK history all');
    const created: string[] = [];
    for (let i = 1; i <= 7; i++) created.push((await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: i * CREDIT_MICROS, description: `Grant ${i}` })).id);
    const recorder = recordingFetch();
    const rt = publicClient(ws.adminKey, { fetch: recorder.fetch });

    const seen: Transaction[] = [];
    for await (const tx of rt.billing.historyAll({ limit: 2 })) seen.push(tx);

    expect(seen.map((t) => t.id)).toEqual([...created].reverse());
    expect(new Set(seen.map((t) => t.id)).size).toBe(7);
    // Balances after each entry, newest first: 28, 21, 15, 10, 6, 3, 1 credits.
    expect(seen.map((t) => t.balanceAfterMicros)).toEqual([28, 21, 15, 10, 6, 3, 1].map((c) => c * CREDIT_MICROS));
    // Four pages (2+2+2+1): the first without a cursor, each next one with the cursor it was given.
    expect(recorder.sent).toHaveLength(4);
    expect(recorder.sent.map((r) => new URL(r.url).searchParams.get('limit'))).toEqual(['2', '2', '2', '2']);
    expect(new URL(recorder.sent[0]!.url).searchParams.has('cursor')).toBe(false);
    for (const r of recorder.sent.slice(1)) expect(new URL(r.url).searchParams.get('cursor')).toBeTruthy();

    // Filters go to every page; breaking out early stops fetching.
    const filtered = recordingFetch();
    const first3: string[] = [];
    for await (const tx of publicClient(ws.adminKey, { fetch: filtered.fetch }).billing.historyAll({ limit: 2, type: 'adjustment' })) {
      first3.push(tx.id);
      if (first3.length === 3) break;
    }
    expect(first3).toEqual(created.slice(4).reverse());
    expect(filtered.sent).toHaveLength(2);
    for (const r of filtered.sent) expect(new URL(r.url).searchParams.get('type')).toBe('adjustment');
  });

  it('historyAll: the open hour\'s usage comes first, as one accumulating transaction, then the ledger', async () => {
    const ws = await newWorkspace('SDK history accumulating');
    const grants: string[] = [];
    for (let i = 1; i <= 3; i++) grants.push((await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: CREDIT_MICROS, description: `Grant ${i}` })).id);
    await internal.usage.record([{ workspaceId: ws.workspaceId, type: 'tool_execution' }]);

    const seen: Transaction[] = [];
    for await (const tx of ws.admin.billing.historyAll({ limit: 2 })) seen.push(tx);
    expect(seen.map((t) => t.status)).toEqual(['accumulating', 'completed', 'completed', 'completed']);
    expect(seen[0]).toMatchObject({ type: 'usage', amountMicros: -1_000, balanceAfterMicros: null });
    expect(seen.slice(1).map((t) => t.id)).toEqual([...grants].reverse());
  });

  it('historyCsv: the ledger as CSV text, with filters; errors stay typed', async () => {
    const ws = await newWorkspace('SDK history CSV');
    const grants: Transaction[] = [];
    for (let i = 1; i <= 2; i++) grants.push(await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: i * 1_500_000, description: `Grant, ${i}` }));

    const text = await ws.admin.billing.historyCsv();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('id,created_at,type,status,description,amount_credits,balance_after_credits,forgiven_credits,invoice_url');
    expect(lines.slice(1, 3).map((l) => l.split(',')[0])).toEqual([grants[1]!.id, grants[0]!.id]);
    expect(lines[1]).toContain(',"Grant, 2",3.000000,4.500000,0.000000,');
    expect(lines[3]).toBe('');
    expect(await ws.admin.billing.historyCsv({ type: 'deposit' })).toBe(`${lines[0]}\r\n`);
    await expect(publicClient('br_not_a_key').billing.historyCsv()).rejects.toMatchObject({ code: 'unauthenticated', status: 401 });
  });

  it('myUsage: the caller over 30 days; all=true adds members and totals for an admin', async () => {
    const ws = await newWorkspace('SDK usage');
    await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: 10 * CREDIT_MICROS, description: 'Grant' });
    const member = await newMember(ws.workspaceId);
    const accepted = await internal.usage.record([
      { workspaceId: ws.workspaceId, memberId: member.memberId, type: 'model', model: 'gpt-4o-mini', inputTokens: 1_000_000, outputTokens: 500_000 },
      { workspaceId: ws.workspaceId, memberId: ws.adminMemberId, type: 'model', model: 'gpt-4o-mini', inputTokens: 2_000, outputTokens: 0 },
    ]);
    expect(accepted).toEqual({ accepted: 2, duplicates: 0, costMicros: 150_000 + 300_000 + 300 });

    const mine = await member.client.billing.myUsage({ period: '30d' });
    expect(mine.period).toBe('30d');
    expect(mine.usage.tokens).toEqual({ input: 1_000_000, output: 500_000, total: 1_500_000 });
    expect(mine.usage.modelUsage).toEqual([{ model: 'gpt-4o-mini', inputTokens: 1_000_000, outputTokens: 500_000, totalTokens: 1_500_000, costMicros: 450_000 }]);
    expect(mine.members).toBeUndefined();
    // 30 days back to the whole UTC hour (the periods start on an hour, as the hours they sum do).
    const fromMs = Date.parse(mine.from);
    expect(fromMs % 3_600_000).toBe(0);
    expect(Date.parse(mine.to) - fromMs - 30 * 86_400_000).toBeGreaterThanOrEqual(0);
    expect(Date.parse(mine.to) - fromMs - 30 * 86_400_000).toBeLessThan(3_600_000);

    const all = await ws.admin.billing.myUsage({ all: true, period: 'current' });
    expect(all.period).toBe('current');
    expect(all.usage.tokens.total).toBe(2_000);
    expect(all.members?.map((m) => m.memberId).sort()).toEqual([ws.adminMemberId, member.memberId].sort());
    expect(all.members?.find((m) => m.memberId === member.memberId)?.usage.tokens.total).toBe(1_500_000);
    expect(all.totals?.tokens).toEqual({ input: 1_002_000, output: 500_000, total: 1_502_000 });

    // Without options: the current month, the caller only.
    expect((await ws.admin.billing.myUsage()).period).toBe('current');
  });

  it('topup through Stripe Checkout (the local emulator), success, then auto-top-up on the saved card', async () => {
    const ws = await newWorkspace('SDK top-up');
    const recorder = recordingFetch();
    const rt = publicClient(ws.adminKey, { fetch: recorder.fetch });

    const created = await rt.billing.topup({ amountCents: 2500 });
    expect(created.checkoutUrl).toContain(`/c/pay/${created.sessionId}`);
    expect(created.transactionId.startsWith('txn_')).toBe(true);
    // The SDK sent an Idempotency-Key it made up.
    expect(recorder.sent[0]!.headers['idempotency-key']).toMatch(/^topup_[0-9a-f-]{36}$/);
    expect(await rt.billing.transaction(created.transactionId)).toMatchObject({ type: 'deposit', status: 'pending', amountMicros: 25_000_000 });

    expect((await payCheckout(created.sessionId)).status).toBe(200);
    const success = await rt.billing.success(created.sessionId);
    expect(success.status).toBe('completed');
    expect(success.transaction).toMatchObject({ id: created.transactionId, status: 'completed', amountMicros: 25_000_000, balanceAfterMicros: 25_000_000 });
    expect((await rt.billing.credits()).balanceMicros).toBe(25_000_000);

    const settings = await rt.billing.autoTopup.set({ enabled: true, thresholdCents: 1000, topupAmountCents: 2500 });
    expect(settings).toEqual({ enabled: true, thresholdCents: 1000, topupAmountCents: 2500, paymentMethod: { brand: 'visa', last4: '4242' }, mode: 'fixed', targetCents: null, monthlyLimitCents: null, spentThisMonthCents: 0 });
    expect(await rt.billing.autoTopup.get()).toEqual(settings);
    expect((await rt.billing.plan()).autoTopup).toEqual(settings);

    // A caller's own key is sent as given.
    await rt.billing.topup({ amountCents: 500, idempotencyKey: unique('my-key') });
    expect(recorder.sent.at(-1)!.headers['idempotency-key']).toMatch(/^my-key-/);

    // The saved card: charged at once, no Checkout.
    const saved = await rt.billing.topup({ amountCents: 1000, paymentMethod: 'saved' });
    expect(saved).toMatchObject({ checkoutUrl: null, sessionId: null, transaction: { id: saved.transactionId, status: 'completed', amountMicros: 10_000_000 } });
  });

  it('payment methods: list, add through setup-mode Checkout, make default, remove', async () => {
    const ws = await newWorkspace('SDK cards');
    const rt = ws.admin;
    expect(await rt.billing.paymentMethods.list()).toEqual({ data: [] });
    await expect(rt.billing.topup({ amountCents: 1000, paymentMethod: 'saved' })).rejects.toMatchObject({ status: 409, code: 'payment_method_required' });

    const first = await rt.billing.paymentMethods.add();
    expect((await payCheckout(first.sessionId)).status).toBe(200);
    const firstEvent = await eventFor('checkout.session.completed', first.sessionId);
    expect((await deliver(firstEvent)).status).toBe(200);
    const second = await rt.billing.paymentMethods.add();
    expect((await payCheckout(second.sessionId, '5555555555554444')).status).toBe(200);
    expect((await deliver(await eventFor('checkout.session.completed', second.sessionId))).status).toBe(200);

    const listed = await rt.billing.paymentMethods.list();
    expect(listed.data.map((c) => [c.last4, c.default])).toEqual([
      ['4444', true],
      ['4242', false],
    ]);
    const visa = listed.data[1]!;
    const changed = await rt.billing.paymentMethods.setDefault(visa.id);
    expect(changed.data.find((c) => c.default)?.id).toBe(visa.id);
    await rt.billing.paymentMethods.remove(visa.id);
    expect((await rt.billing.paymentMethods.list()).data.map((c) => [c.last4, c.default])).toEqual([['4444', true]]);
    expect((await rt.billing.autoTopup.get()).paymentMethod).toEqual({ brand: 'mastercard', last4: '4444' });
  });
});
