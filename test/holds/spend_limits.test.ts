// Spend limits per member: enforced by the ledger object on holds, deductions and credit checks,
// counting deductions, captures, usage and active holds; rolling over at the UTC day or month.
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { addMember, createWorkspace, grant, unique } from '../helpers/fixtures';
import { ledgerStub, shardD1Of } from '../helpers/ledger_checks';
import { captureHold, createHold, CREDIT, creditCheck } from './holds_helpers';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const deduct = (workspaceId: string, amountMicros: number, memberId?: string) =>
  internal('POST', '/internal/v1/deductions', { id: unique('ded'), workspaceId, amountMicros, description: 'Tool run', ...(memberId ? { memberId } : {}) });

const setLimit = (adminKey: string, memberId: string, limitMicros: number, period: 'day' | 'month') => publicApi('PUT', `/v1/billing/spend-limits/${memberId}`, adminKey, { limitMicros, period });

const limits = (apiKey: string) => publicApi('GET', '/v1/billing/spend-limits', apiKey);

/** Moves the clock the object counts spend-limit periods by (null: back to the wall clock). */
const setLimitClock = (workspaceId: string, atMs: number | null) =>
  runInDurableObject(ledgerStub(workspaceId), (instance) => {
    (instance as unknown as { desk: { spend: { clock: () => number } } }).desk.spend.clock = atMs === null ? () => Date.now() : () => atMs;
  });

async function reachedNotices(workspaceId: string, expected: number) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { results } = await shardD1Of(workspaceId)
      .prepare(`SELECT data_json FROM platform_events WHERE workspace_id = ? AND type = 'spend_limit.reached'`)
      .bind(workspaceId)
      .all<{ data_json: string }>();
    if (results.length >= expected || Date.now() > deadline) return results.map((r) => JSON.parse(r.data_json));
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('spend limits', () => {
  it('a member at their limit is refused on holds, deductions and checks while the workspace is not; usage is never refused', async () => {
    const ws = await createWorkspace('Spend limits');
    const member = await addMember(ws.workspaceId);
    await grant(ws.workspaceId, 100 * CREDIT);

    const set = await setLimit(ws.adminKey, member.memberId, 5 * CREDIT, 'day');
    expect(set.status).toBe(200);
    const nextMidnight = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
    expect(set.body).toEqual({ memberId: member.memberId, limitMicros: 5 * CREDIT, period: 'day', spentMicros: 0, heldMicros: 0, remainingMicros: 5 * CREDIT, resetsAt: new Date(nextMidnight).toISOString() });

    expect((await deduct(ws.workspaceId, 3 * CREDIT, member.memberId)).status).toBe(201);
    const hold = await createHold({ workspaceId: ws.workspaceId, memberId: member.memberId, amountMicros: 1_500_000 });
    expect(hold.status).toBe(201);
    expect((await limits(member.apiKey)).body.data).toEqual([{ ...set.body, spentMicros: 3 * CREDIT, heldMicros: 1_500_000, remainingMicros: 500_000 }]);

    // Past the limit: refused, nothing recorded; the workspace and other members go on.
    const refusedDeduction = await deduct(ws.workspaceId, 500_001, member.memberId);
    expect(refusedDeduction.status).toBe(402);
    expect(refusedDeduction.body.error.code).toBe('spend_limit_exceeded');
    const refusedHold = await createHold({ workspaceId: ws.workspaceId, memberId: member.memberId, amountMicros: 500_001 });
    expect(refusedHold.status).toBe(402);
    expect(refusedHold.body.error.code).toBe('spend_limit_exceeded');
    expect((await creditCheck(ws.workspaceId, 500_001, member.memberId)).body).toMatchObject({ allowed: false, reason: 'spend_limit' });
    expect((await creditCheck(ws.workspaceId, 500_000, member.memberId)).body).toMatchObject({ allowed: true });
    expect((await creditCheck(ws.workspaceId, 50 * CREDIT)).body).toMatchObject({ allowed: true });
    expect((await deduct(ws.workspaceId, 10 * CREDIT)).status).toBe(201);
    expect((await deduct(ws.workspaceId, 10 * CREDIT, ws.adminMemberId)).status).toBe(201);

    // Usage events already happened: accepted past the limit, and counted.
    const usage = await internal('POST', '/internal/v1/usage', {
      events: [{ id: unique('chg'), workspaceId: ws.workspaceId, memberId: member.memberId, type: 'charge', amountMicros: 2 * CREDIT, description: 'GPU minutes' }],
    });
    expect(usage.status).toBe(200);
    expect(usage.body.accepted).toBe(1);
    expect((await limits(member.apiKey)).body.data[0]).toMatchObject({ spentMicros: 5 * CREDIT, heldMicros: 1_500_000, remainingMicros: 0 });
    expect((await creditCheck(ws.workspaceId, 0, member.memberId)).body).toMatchObject({ allowed: false, reason: 'spend_limit' });

    // A capture is never refused by the limit (the work was done), and counts what it charged.
    const captured = await captureHold(hold.body.id, 1_000_000);
    expect(captured.status).toBe(200);
    expect(captured.body.transaction.amountMicros).toBe(-CREDIT);
    expect((await limits(member.apiKey)).body.data[0]).toMatchObject({ spentMicros: 6 * CREDIT, heldMicros: 0, remainingMicros: 0 });

    // Once per member per period, however many refusals.
    const notices = await reachedNotices(ws.workspaceId, 1);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ memberId: member.memberId, limitMicros: 5 * CREDIT, period: 'day' });

    // Survives an eviction: the spend is read back from D1 (and the object's open usage).
    await evictDurableObject(ledgerStub(ws.workspaceId));
    expect((await limits(ws.adminKey)).body.data).toEqual([expect.objectContaining({ memberId: member.memberId, spentMicros: 6 * CREDIT, remainingMicros: 0 })]);
    expect((await deduct(ws.workspaceId, 1, member.memberId)).body.error.code).toBe('spend_limit_exceeded');
  });

  it('the period rolls over at UTC midnight, and at the start of the month', async () => {
    const ws = await createWorkspace('Limit periods');
    const member = await addMember(ws.workspaceId);
    await grant(ws.workspaceId, 100 * CREDIT);
    expect((await setLimit(ws.adminKey, member.memberId, 2 * CREDIT, 'day')).status).toBe(200);
    expect((await deduct(ws.workspaceId, 2 * CREDIT, member.memberId)).status).toBe(201);
    expect((await deduct(ws.workspaceId, 1, member.memberId)).body.error.code).toBe('spend_limit_exceeded');

    // One millisecond before midnight the day is still spent; at midnight it starts again.
    const midnight = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
    await setLimitClock(ws.workspaceId, midnight - 1);
    expect((await deduct(ws.workspaceId, 1, member.memberId)).body.error.code).toBe('spend_limit_exceeded');
    await setLimitClock(ws.workspaceId, midnight);
    expect((await limits(member.apiKey)).body.data[0]).toMatchObject({ spentMicros: 0, remainingMicros: 2 * CREDIT, resetsAt: new Date(midnight + DAY_MS).toISOString() });
    expect((await deduct(ws.workspaceId, 2 * CREDIT, member.memberId)).status).toBe(201);

    // A monthly limit counts the whole month (what was spent today, whatever the day), until the 1st.
    await setLimitClock(ws.workspaceId, null);
    expect((await setLimit(ws.adminKey, member.memberId, 5 * CREDIT, 'month')).status).toBe(200);
    expect((await limits(member.apiKey)).body.data[0]).toMatchObject({ spentMicros: 4 * CREDIT, period: 'month' });
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    await setLimitClock(ws.workspaceId, nextMonth - 1);
    expect((await deduct(ws.workspaceId, CREDIT + 1, member.memberId)).body.error.code).toBe('spend_limit_exceeded');
    await setLimitClock(ws.workspaceId, nextMonth);
    expect((await limits(member.apiKey)).body.data[0]).toMatchObject({ spentMicros: 0, resetsAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1)).toISOString() });
    expect((await deduct(ws.workspaceId, 5 * CREDIT, member.memberId)).status).toBe(201);
    await setLimitClock(ws.workspaceId, null);
  });

  it('settled usage counts as it did open: across settlement and a cold start', async () => {
    const ws = await createWorkspace('Limit settlement');
    const member = await addMember(ws.workspaceId);
    await grant(ws.workspaceId, 100 * CREDIT);
    expect((await setLimit(ws.adminKey, member.memberId, 50 * CREDIT, 'month')).status).toBe(200);
    const lastHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
    const monthStart = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1);
    const occurredAt = new Date(Math.max(lastHour, monthStart) + 60_000).toISOString();
    const usage = await internal('POST', '/internal/v1/usage', {
      events: [{ id: unique('chg'), workspaceId: ws.workspaceId, memberId: member.memberId, occurredAt, type: 'charge', amountMicros: 3_333_333, description: 'Batch job' }],
    });
    expect(usage.status).toBe(200);
    expect((await limits(member.apiKey)).body.data[0].spentMicros).toBe(3_333_333);
    const stub = ledgerStub(ws.workspaceId);
    expect(await stub.settle(ws.workspaceId, Math.floor(Date.now() / HOUR_MS) * HOUR_MS)).toMatchObject({ ok: true });
    expect((await limits(member.apiKey)).body.data[0].spentMicros).toBe(3_333_333);
    await evictDurableObject(stub);
    expect((await limits(member.apiKey)).body.data[0].spentMicros).toBe(3_333_333);
  });

  it('settled usage counts when the object settles right after an eviction (its state read during settlement)', async () => {
    const ws = await createWorkspace('Limit settlement cold');
    const member = await addMember(ws.workspaceId);
    await grant(ws.workspaceId, 100 * CREDIT);
    expect((await setLimit(ws.adminKey, member.memberId, 50 * CREDIT, 'month')).status).toBe(200);
    const lastHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
    const monthStart = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1);
    const occurredAt = new Date(Math.max(lastHour, monthStart) + 60_000).toISOString();
    await internal('POST', '/internal/v1/usage', {
      events: [{ id: unique('chg'), workspaceId: ws.workspaceId, memberId: member.memberId, occurredAt, type: 'charge', amountMicros: 1_234_567, description: 'Batch job' }],
    });
    expect((await deduct(ws.workspaceId, 765_433, member.memberId)).status).toBe(201);
    const stub = ledgerStub(ws.workspaceId);
    await evictDurableObject(stub);
    expect(await stub.settle(ws.workspaceId, Math.floor(Date.now() / HOUR_MS) * HOUR_MS)).toMatchObject({ ok: true });
    expect((await limits(member.apiKey)).body.data[0].spentMicros).toBe(2 * CREDIT);
  });

  it('roles: members read their own limit only; only admins change limits', async () => {
    const ws = await createWorkspace('Limit roles');
    const member = await addMember(ws.workspaceId);
    const other = await addMember(ws.workspaceId);
    expect((await setLimit(ws.adminKey, member.memberId, CREDIT, 'day')).status).toBe(200);
    expect((await setLimit(ws.adminKey, other.memberId, 2 * CREDIT, 'month')).status).toBe(200);
    expect((await limits(member.apiKey)).body.data.map((l: { memberId: string }) => l.memberId)).toEqual([member.memberId]);
    expect((await limits(ws.adminKey)).body.data.map((l: { memberId: string }) => l.memberId).sort()).toEqual([member.memberId, other.memberId].sort());
    const forbidden = await setLimit(member.apiKey, member.memberId, 10 * CREDIT, 'day');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    expect((await publicApi('DELETE', `/v1/billing/spend-limits/${member.memberId}`, member.apiKey)).status).toBe(403);
    expect((await publicApi('DELETE', `/v1/billing/spend-limits/${member.memberId}`, ws.adminKey)).status).toBe(204);
    expect((await publicApi('DELETE', `/v1/billing/spend-limits/${member.memberId}`, ws.adminKey)).status).toBe(204);
    expect((await limits(member.apiKey)).body.data).toEqual([]);
  });
});
