// The money flows on every shard: one workspace placed on each of the 4 ledger shards goes through a
// Stripe Checkout top-up, usage, hourly settlement, its history and my-usage, and a zero balance
// that terminates its instance. (The other suites run the same flows on whichever shard their
// workspaces land on; this one makes sure each shard is used.)
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, unique, type TestWorkspace } from '../helpers/fixtures';
import { deliverSettlement, HOUR_MS, hourOf } from '../helpers/settlement';
import { runInDurableObject } from 'cloudflare:test';
import { ledgerD1, ledgerStub, shardD1Of } from '../helpers/ledger_checks';
import { shardFor } from '../../workers/storage/placement';
import { credits, deliver, eventFor, payCheckout, topup } from '../stripe/stripe_helpers';
import { eventually, eventsOf, resourceRow, startInstance } from '../zero_balance/zero_balance_helpers';

const CREDIT = 1_000_000;
const NAMES = ['LEDGER_SHARD_0', 'LEDGER_SHARD_1', 'LEDGER_SHARD_2', 'LEDGER_SHARD_3'];

/** Workspaces created through the API until there is one on each shard (ids are random). */
async function oneWorkspacePerShard(): Promise<Map<string, TestWorkspace>> {
  const byShard = new Map<string, TestWorkspace>();
  for (let i = 0; byShard.size < NAMES.length; i++) {
    if (i > 200) throw new Error('placement never reached every shard');
    const ws = await createWorkspace(`Per shard ${i}`);
    const shard = shardFor(ws.workspaceId, NAMES);
    if (!byShard.has(shard)) byShard.set(shard, ws);
  }
  return byShard;
}

const workspaces = await oneWorkspacePerShard();

describe.each(NAMES)('a workspace on %s', (shard) => {
  const ws = workspaces.get(shard)!;

  it('is recorded on that shard, and its ledger object keeps that shard in its own storage', async () => {
    expect(await ledgerD1(ws.workspaceId)).toBe(shardD1Of(ws.workspaceId));
    expect((await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=0`)).status).toBe(200);
    expect(await runInDurableObject(ledgerStub(ws.workspaceId), (_instance, state) => state.storage.get<string>('ledgerShard'))).toBe(shard);
  });

  it('tops up through Stripe Checkout, reports usage, settles it, and reads it back in history and my-usage', async () => {
    const created = await topup(ws.adminKey, 2500);
    expect(created.status).toBe(201);
    expect((await payCheckout(created.body.sessionId)).status).toBe(200);
    expect((await deliver(await eventFor('checkout.session.completed', created.body.sessionId))).status).toBe(200);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(25 * CREDIT);

    // Two hours ago: a closed hour the settlement below bills. gpt-4o: 2.5 µ/input, 10 µ/output token.
    const at = new Date(hourOf(Date.now()) - 2 * HOUR_MS + 60_000).toISOString();
    const usage = await internal('POST', '/internal/v1/usage', {
      events: [{ id: unique('evt'), workspaceId: ws.workspaceId, memberId: ws.adminMemberId, type: 'model', model: 'gpt-4o', inputTokens: 100_000, outputTokens: 10_000, occurredAt: at }],
    });
    expect(usage.body).toMatchObject({ accepted: 1, costMicros: 350_000 });

    const settled = await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourOf(Date.now()) }]);
    expect(settled.retryMessages).toEqual([]);
    const history = (await publicApi('GET', '/v1/billing/credits/history', ws.adminKey)).body.data as Array<{ type: string; status: string; amountMicros: number }>;
    expect(history.filter((t) => t.status === 'completed').map((t) => [t.type, t.amountMicros])).toEqual([
      ['usage', -350_000],
      ['deposit', 25 * CREDIT],
    ]);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(25 * CREDIT - 350_000);

    const mine = await publicApi('GET', '/v1/billing/my-usage?period=7d', ws.adminKey);
    expect(mine.status).toBe(200);
    expect(mine.body.usage.tokens).toEqual({ input: 100_000, output: 10_000, total: 110_000 });
    expect(mine.body.usage.totalMicros).toBe(350_000);
  });

  it('at a zero balance terminates its running instance and tells the platform', async () => {
    const instanceId = unique('res_shard').replaceAll('-', '_');
    expect((await startInstance(ws.workspaceId, instanceId, 'cpu-small')).status).toBe(201);
    const spendable = (await credits(ws.adminKey)).balanceMicros as number;
    const correction = await internal('POST', '/internal/v1/adjustments', { id: unique('zero'), workspaceId: ws.workspaceId, amountMicros: -spendable - CREDIT, description: 'Correction' });
    expect(correction.status).toBe(201);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(0);
    const terminated = await eventually(() => eventsOf(ws.workspaceId, 'instance.terminated'), (list) => list.length === 1, 'the termination event');
    expect(terminated[0]!.data).toMatchObject({ instanceId, reason: 'zero_balance' });
    expect((await resourceRow(instanceId))?.stop_reason).toBe('zero_balance');
    expect((await shardD1Of(ws.workspaceId).prepare('SELECT stop_reason AS r FROM resources WHERE id = ?').bind(instanceId).first<{ r: string }>())?.r).toBe('zero_balance');
  });
});
