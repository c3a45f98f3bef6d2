import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct, grant } from '../helpers/fixtures';
import { alarmPlanOf } from '../helpers/ledger_checks';
import { credits, deliver, EMULATOR, eventFor, payCheckout, topup } from './stripe_helpers';

const CREDIT = 1_000_000;

async function workspaceWithSavedCard(name: string) {
  const ws = await createWorkspace(name);
  const created = await topup(ws.adminKey, 2000); // $20
  await payCheckout(created.body.sessionId);
  expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
  expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT);
  const pm = await env.DB.prepare('SELECT payment_method_id AS pm FROM stripe_customers WHERE workspace_id = ?').bind(ws.workspaceId).first<{ pm: string }>();
  expect(pm?.pm).toMatch(/^pm_/);
  return { ...ws, paymentMethodId: pm!.pm };
}

async function paymentIntentCalls(customerOrMeta: string) {
  const res = await fetch(`${EMULATOR}/__emulator/requests`);
  const body = (await res.json()) as any;
  const list = (body.data ?? body) as any[];
  return list.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents' && JSON.stringify(r).includes(customerOrMeta));
}

const setCard = (pm: string, outcome: 'decline' | 'succeed') =>
  fetch(`${EMULATOR}/__emulator/payment_methods/${pm}/outcome`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome }) });

const rechargeEntries = async (apiKey: string) => (await publicApi('GET', '/v1/billing/credits/history?type=auto_recharge', apiKey)).body.data as any[];

describe('auto-recharge', () => {
  it('20 concurrent deductions crossing the threshold make exactly one off-session payment', async () => {
    const ws = await workspaceWithSavedCard('One payment per crossing');
    const put = await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 });
    expect(put.status).toBe(200);
    // $20 balance, threshold $10: twenty deductions of $0.75 cross it once ($15 taken).
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => deduct(ws.workspaceId, 750_000, `cross-${i}`)));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const entries = await rechargeEntries(ws.adminKey);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ type: 'auto_recharge', status: 'completed', amountMicros: 25 * CREDIT });
    expect(await paymentIntentCalls(ws.workspaceId)).toHaveLength(1);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(20 * CREDIT - 15 * CREDIT + 25 * CREDIT);
  });

  it('a decline records a failed entry and no credit; three in a row turn auto-top-up off and tell the platform', async () => {
    const ws = await workspaceWithSavedCard('Declines');
    await setCard(ws.paymentMethodId, 'decline');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1500, topupAmountCents: 2500 })).status).toBe(200);
    // $20 → below $15 (decline 1); back above with a grant, below again (decline 2), again (decline 3).
    expect((await deduct(ws.workspaceId, 6 * CREDIT, 'below-1')).status).toBe(201);
    let entries = await rechargeEntries(ws.adminKey);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ status: 'failed', balanceAfterMicros: null });
    expect((await credits(ws.adminKey)).balanceMicros).toBe(14 * CREDIT);
    for (const round of [2, 3]) {
      await grant(ws.workspaceId, 6 * CREDIT, `above-${round}`);
      expect((await deduct(ws.workspaceId, 6 * CREDIT, `below-${round}`)).status).toBe(201);
    }
    entries = await rechargeEntries(ws.adminKey);
    expect(entries.map((e) => e.status)).toEqual(['failed', 'failed', 'failed']);
    const settings = await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey);
    expect(settings.body.enabled).toBe(false);
    // Every decline tells the platform which try it was; the third says auto-top-up is now off.
    const events = await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/events?type=auto_recharge.failed`);
    expect(events.body.data.map((e: any) => e.data).sort((a: any, b: any) => a.attempt - b.attempt)).toEqual(
      [1, 2, 3].map((attempt) => ({ transactionId: expect.stringMatching(/^txn_/), attempt, declineCode: 'generic_decline', disabled: attempt === 3 })),
    );
    // Off now: another crossing makes no payment.
    await grant(ws.workspaceId, 6 * CREDIT, 'above-4');
    await deduct(ws.workspaceId, 6 * CREDIT, 'below-4');
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(3);
    expect(await paymentIntentCalls(ws.workspaceId)).toHaveLength(3);
  });

  it('enabling needs a saved card, and amounts are bounded', async () => {
    const ws = await createWorkspace('No card');
    const res = await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('payment_method_required');
    const low = await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: false, thresholdCents: 1000, topupAmountCents: 499 });
    expect(low.status).toBe(400);
    expect(low.body.error.message).toContain('topupAmountCents');
  });

  it('running resources alone crossing the threshold wake the object at that moment, and it recharges', async () => {
    const ws = await workspaceWithSavedCard('Threshold alarm');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 })).status).toBe(200);
    // $20, threshold $10, a gpu-a100 at $3.60/h: the threshold is 10 / 3.6 h = 10,000 s away.
    const start = await internal('POST', '/internal/v1/resources', { id: 'res_threshold', workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'gpu-a100' });
    expect(start.status).toBe(201);
    const startedAtMs = Date.parse(start.body.startedAt);
    const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(ws.workspaceId));
    // The balance's wake-up (the object's one alarm is the earlier settlement of the running hour until then).
    const alarmAt = (await alarmPlanOf(ws.workspaceId)).balanceAtMs;
    expect(Math.abs(alarmAt! - (startedAtMs + 10_000_000))).toBeLessThanOrEqual(5_000);
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(0);

    // The runtime fires the alarm then: the balance is at the threshold, so the recharge is made.
    const fired = await stub.checkBalance(ws.workspaceId, alarmAt! + 1);
    expect(fired.ok).toBe(true);
    const entries = await rechargeEntries(ws.adminKey);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ status: 'completed', amountMicros: 25 * CREDIT });
    await internal('POST', '/internal/v1/resources/res_threshold/stop');
  });

  it('after a decline, tries again an hour later while still below the threshold, three tries in all, then turns auto-top-up off', async () => {
    const ws = await workspaceWithSavedCard('Hourly retries');
    await setCard(ws.paymentMethodId, 'decline');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1500, topupAmountCents: 2500 })).status).toBe(200);
    expect((await deduct(ws.workspaceId, 6 * CREDIT, 'below')).status).toBe(201);
    const [first] = await rechargeEntries(ws.adminKey);
    expect(first).toMatchObject({ status: 'failed' });
    const firstAtMs = Date.parse(first.createdAt);
    const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(ws.workspaceId));
    // The object wakes itself for the retry, though nothing burns.
    const alarmAt = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarmAt).toBe(firstAtMs + 3_600_000);

    // Half an hour later: not yet.
    await stub.checkBalance(ws.workspaceId, firstAtMs + 1_800_000);
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(1);
    // An hour later: the second try (declined), then the third an hour after it (declined): off.
    await stub.checkBalance(ws.workspaceId, firstAtMs + 3_600_000);
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(2);
    await stub.checkBalance(ws.workspaceId, firstAtMs + 2 * 3_600_000 - 1);
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(2);
    await stub.checkBalance(ws.workspaceId, firstAtMs + 2 * 3_600_000);
    expect((await rechargeEntries(ws.adminKey)).map((e) => e.status)).toEqual(['failed', 'failed', 'failed']);
    expect((await publicApi('GET', '/v1/billing/auto-topup', ws.adminKey)).body.enabled).toBe(false);
    await stub.checkBalance(ws.workspaceId, firstAtMs + 5 * 3_600_000);
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(3);
    expect(await paymentIntentCalls(ws.workspaceId)).toHaveLength(3);
    const events = await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/events?type=auto_recharge.failed`);
    expect(events.body.data.map((e: any) => [e.data.attempt, e.data.disabled]).sort()).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
  });

  it('a retry that pays ends the series; back above the threshold, no retry is made', async () => {
    const ws = await workspaceWithSavedCard('Retry pays');
    await setCard(ws.paymentMethodId, 'decline');
    expect((await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 1500, topupAmountCents: 2500 })).status).toBe(200);
    expect((await deduct(ws.workspaceId, 6 * CREDIT, 'below')).status).toBe(201);
    const firstAtMs = Date.parse((await rechargeEntries(ws.adminKey))[0].createdAt);
    const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(ws.workspaceId));
    await setCard(ws.paymentMethodId, 'succeed');
    await stub.checkBalance(ws.workspaceId, firstAtMs + 3_600_000);
    expect((await rechargeEntries(ws.adminKey)).map((e) => e.status)).toEqual(['completed', 'failed']);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(14 * CREDIT + 25 * CREDIT);

    // A new crossing declined, then a grant lifts the balance above the threshold: no retry.
    await setCard(ws.paymentMethodId, 'decline');
    expect((await deduct(ws.workspaceId, 30 * CREDIT, 'below-again')).status).toBe(201);
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(3);
    await grant(ws.workspaceId, 20 * CREDIT, 'above-again');
    await stub.checkBalance(ws.workspaceId, Date.now() + 2 * 3_600_000);
    expect(await rechargeEntries(ws.adminKey)).toHaveLength(3);
  });
});
