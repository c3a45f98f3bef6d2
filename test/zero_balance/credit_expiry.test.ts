// Expiry of credit blocks (CONTRACT.md, "Credit blocks"): a block's remainder is removed as one
// `expiration` entry, on time: by the ledger object's alarm within 60 s of expiresAt when nothing is
// open; at the settlement of the hour containing expiresAt otherwise (that hour may still draw on
// the block). An expiry that empties the balance is a zero balance like any other. Evictions of the
// object in between never record an expiration twice nor lose it.
import { evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, unique, type TestWorkspace } from '../helpers/fixtures';
import { alarmPlanOf, projected, shardD1Of } from '../helpers/ledger_checks';
import { CREDIT, eventsOf, eventually, expectInvariant, HOUR_MS, hourOf, ledgerStub, resourceRow, startInstance } from './zero_balance_helpers';

const CPU_SMALL_PER_HOUR = 36_000;
const MINUTE_MS = 60_000;

async function grantVia(ws: TestWorkspace, micros: number, extra: Record<string, unknown> = {}) {
  const res = await internal('POST', '/internal/v1/grants', { id: unique('g'), workspaceId: ws.workspaceId, amountMicros: micros, description: 'Expiring credits', ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { block: { id: string }; transaction: { id: string } };
}

/** Evicts the workspace's ledger object (waking it first: only a running object can be evicted). */
async function evict(workspaceId: string) {
  const stub = ledgerStub(workspaceId);
  await stub.projected();
  await evictDurableObject(stub);
}

async function expirationsOf(workspaceId: string) {
  await projected(workspaceId);
  const { results } = await shardD1Of(workspaceId)
    .prepare(`SELECT id, idempotency_key AS key, amount_micros AS amountMicros, balance_after_micros AS balanceAfterMicros FROM transactions
               WHERE workspace_id = ? AND type = 'expiration' ORDER BY seq`)
    .bind(workspaceId)
    .all<{ id: string; key: string; amountMicros: number; balanceAfterMicros: number }>();
  return results;
}

/**
 * A grant whose block expires at a past instant, as it would stand had it been granted back then:
 * written straight to D1 (a grant cannot be made with a past expiresAt), the object evicted so that
 * it loads it. Answers the block's id.
 */
async function pastGrant(ws: TestWorkspace, micros: number, createdAtMs: number, expiresAtMs: number): Promise<string> {
  await evict(ws.workspaceId);
  const d1 = shardD1Of(ws.workspaceId);
  const balance = (await d1.prepare('SELECT balance_micros AS b FROM balances WHERE workspace_id = ?').bind(ws.workspaceId).first<{ b: number }>())!.b;
  const suffix = unique('past').replace(/[^A-Za-z0-9]/g, '_');
  const blockId = `blk_${suffix}`;
  await d1.batch([
    d1.prepare('UPDATE balances SET balance_micros = balance_micros + ?1 WHERE workspace_id = ?2').bind(micros, ws.workspaceId),
    d1
      .prepare(
        `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros, forgiven_micros,
                                   balance_after_micros, created_at_ms, settled_at_ms)
         VALUES (?1, ?2, ?3, 'past', 'grant', 'completed', 'Expiring credits', ?4, 0, ?5, ?6, ?6)`,
      )
      .bind(`txn_${suffix}`, ws.workspaceId, `grant:${suffix}`, micros, balance + micros, createdAtMs),
    d1
      .prepare(
        `INSERT INTO credit_blocks (id, workspace_id, category, source, transaction_id, amount_micros, remaining_micros, priority, expires_at_ms, created_at_ms, grant_id)
         VALUES (?1, ?2, 'promotional', 'grant', ?3, ?4, ?4, 50, ?5, ?6, ?7)`,
      )
      .bind(blockId, ws.workspaceId, `txn_${suffix}`, micros, expiresAtMs, createdAtMs, suffix),
  ]);
  await evict(ws.workspaceId);
  return blockId;
}

describe('a block expiring while an instance runs', () => {
  it('is drawn on by the hour containing its expiry, then removed at that hour\'s settlement, once, across evictions; the instance is terminated when that empties the balance', async () => {
    const ws = await createWorkspace('Expiry while running');
    const stub = ledgerStub(ws.workspaceId);
    const prevHourMs = hourOf(Date.now()) - HOUR_MS;
    const expiresAtMs = prevHourMs + 30 * MINUTE_MS;
    const blockId = await pastGrant(ws, 10 * CREDIT, prevHourMs, expiresAtMs);

    const instanceId = unique('res_inst');
    const started = await startInstance(ws.workspaceId, instanceId, 'cpu-small', prevHourMs + 10 * MINUTE_MS);
    expect(started.status, JSON.stringify(started.body)).toBe(201);

    // Past its expiresAt, but usage is open: the alarm leaves it to the hour's settlement.
    expect(await stub.checkBalance(ws.workspaceId)).toMatchObject({ ok: true });
    expect(await expirationsOf(ws.workspaceId)).toEqual([]);
    expect((await alarmPlanOf(ws.workspaceId)).expiryAtMs).toBeNull();

    // The object restarts between the expiry and the settlement: nothing is lost.
    await evict(ws.workspaceId);
    const settled = await stub.settle(ws.workspaceId, hourOf(Date.now()));
    expect(settled).toMatchObject({ ok: true, value: { settledHours: 1 } });

    // 50 minutes of cpu-small in the closed hour, drawn from the block; then its remainder expires.
    const chargedMicros = (CPU_SMALL_PER_HOUR * 50) / 60;
    const expirations = await expirationsOf(ws.workspaceId);
    expect(expirations).toEqual([{ id: expect.any(String), key: `expire:${blockId}`, amountMicros: -(10 * CREDIT - chargedMicros), balanceAfterMicros: 0 }]);
    const usage = await shardD1Of(ws.workspaceId)
      .prepare(`SELECT id, amount_micros AS a FROM transactions WHERE workspace_id = ? AND type = 'usage'`)
      .bind(ws.workspaceId)
      .first<{ id: string; a: number }>();
    expect(usage!.a).toBe(-chargedMicros);
    const funding = (await publicApi('GET', `/v1/billing/transactions/${usage!.id}`, ws.adminKey)).body.funding;
    expect(funding).toEqual([{ blockId, category: 'promotional', amountMicros: chargedMicros }]);
    const expFunding = (await publicApi('GET', `/v1/billing/transactions/${expirations[0]!.id}`, ws.adminKey)).body.funding;
    expect(expFunding).toEqual([{ blockId, category: 'promotional', amountMicros: 10 * CREDIT - chargedMicros }]);

    // The expiry emptied the balance: a zero balance like any other.
    expect(await resourceRow(instanceId)).toMatchObject({ stop_reason: 'zero_balance' });
    expect(await eventsOf(ws.workspaceId, 'instance.terminated')).toHaveLength(1);

    // Settlement again, the alarm, another eviction: still one expiration.
    expect(await stub.settle(ws.workspaceId, hourOf(Date.now()))).toMatchObject({ ok: true });
    await evict(ws.workspaceId);
    await stub.checkBalance(ws.workspaceId);
    await runDurableObjectAlarm(stub);
    expect(await expirationsOf(ws.workspaceId)).toHaveLength(1);
    expect((await publicApi('GET', '/v1/billing/credit-blocks', ws.adminKey)).body.data).toEqual([]);
    await expectInvariant(ws.workspaceId);
  });
});

describe('a block expiring while nothing is open', () => {
  it('is removed by the object\'s own alarm at expiresAt, once, even when the object was evicted before', async () => {
    const ws = await createWorkspace('Expiry by alarm');
    const stub = ledgerStub(ws.workspaceId);
    await grantVia(ws, 2 * CREDIT, { category: 'paid' });
    const expiresAtMs = Date.now() + 1_500;
    const { block } = await grantVia(ws, 3 * CREDIT, { expiresAt: new Date(expiresAtMs).toISOString() });

    const summary = (await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body;
    expect(summary).toMatchObject({ paidMicros: 2 * CREDIT, promotionalMicros: 3 * CREDIT, nextExpiry: { at: new Date(expiresAtMs).toISOString(), amountMicros: 3 * CREDIT } });
    const plan = await alarmPlanOf(ws.workspaceId);
    expect(plan.expiryAtMs).toBe(expiresAtMs);
    expect(plan.alarmAtMs).toBe(expiresAtMs);

    // Evicted before it is due: the alarm is the object's, kept in its storage, and fires on its own
    // (the runtime runs it at its time; running it by hand here would find it gone).
    await evict(ws.workspaceId);
    const expirations = await eventually(() => expirationsOf(ws.workspaceId), (rows) => rows.length > 0, 'the expiry by alarm', 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAtMs);
    expect(expirations).toEqual([{ id: expect.any(String), key: `expire:${block.id}`, amountMicros: -3 * CREDIT, balanceAfterMicros: 2 * CREDIT }]);

    // Again, after another eviction: nothing more.
    await evict(ws.workspaceId);
    await stub.checkBalance(ws.workspaceId);
    await runDurableObjectAlarm(stub);
    expect(await expirationsOf(ws.workspaceId)).toHaveLength(1);
    const after = (await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body;
    expect(after).toMatchObject({ balanceMicros: 2 * CREDIT, paidMicros: 2 * CREDIT, promotionalMicros: 0, nextExpiry: null });
    const history = (await publicApi('GET', '/v1/billing/credits/history?type=expiration', ws.adminKey)).body.data;
    expect(history).toMatchObject([{ type: 'expiration', status: 'completed', amountMicros: -3 * CREDIT }]);
    // On time: within 60 s of expiresAt.
    expect(Date.parse(history[0].createdAt) - expiresAtMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(history[0].createdAt) - expiresAtMs).toBeLessThan(60_000);
  });
});

describe('hoursRemaining and the zero crossing count scheduled expiries', () => {
  it('a block expiring in 2 hours leaves only what the burn has not taken from it by then', async () => {
    const ws = await createWorkspace('Expiry prediction');
    await grantVia(ws, 1 * CREDIT, { category: 'paid' });
    await grantVia(ws, 10 * CREDIT, { expiresAt: new Date(Date.now() + 2 * HOUR_MS).toISOString() });
    const started = await startInstance(ws.workspaceId, unique('res_inst'), 'cpu-small');
    expect(started.status).toBe(201);
    const summary = (await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body;
    expect(summary.burnRateMicrosPerHour).toBe(CPU_SMALL_PER_HOUR);
    // Without the expiry: 11 credits / 0.036 an hour = 305.5 h. With it: 2 h drawing on the
    // expiring block, which then loses the rest, and 1 credit / 0.036 = 27.78 h more.
    expect(summary.hoursRemaining).toBeGreaterThan(29.7);
    expect(summary.hoursRemaining).toBeLessThan(29.8);
    const plan = await alarmPlanOf(ws.workspaceId);
    expect(plan.expiryAtMs).not.toBeNull();
    expect(plan.balanceAtMs).not.toBeNull();
    expect(plan.balanceAtMs!).toBeLessThan(Date.now() + 30 * HOUR_MS);
  });
});
