// When usage outruns the balance, settlement takes the balance to exactly 0, never below, and
// records the uncovered rest as forgiven (no debt). What a short balance pays first: charges, tool
// executions and model calls; instance runtime is forgiven last. Also: the live credit summary
// (accumulating, burn rate, hours remaining) while instances run.
import { env } from 'cloudflare:workers';
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { grant, unique } from '../helpers/fixtures';
import { expectInvariant } from '../helpers/ledger_checks';
import { deliverSettlement, HOUR_MS, hourOf } from '../helpers/settlement';
import {
  balanceOf,
  chargeEvent,
  CREDIT,
  currentHour,
  entriesForHour,
  fundedWorkspace,
  hourLabel,
  MINUTE_MS,
  modelEvent,
  recordUsage,
  settlementLines,
  startInstance,
  stopResource,
  toolEvent,
  usageRows,
} from './settlement_helpers';

const credits = async (apiKey: string) => {
  const res = await publicApi('GET', '/v1/billing/credits', apiKey);
  expect(res.status).toBe(200);
  return res.body as { balanceMicros: number; accumulatingMicros: number; burnRateMicrosPerHour: number; hoursRemaining: number | null; updatedAt: string };
};

const creditCheck = (workspaceId: string, amountMicros: number) =>
  internal('GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=${amountMicros}`);


/** Instance cost of [fromMs, toMs), one line per hour, each rounded once (halves up). */
function runtimeMicros(microsPerHour: number, fromMs: number, toMs: number) {
  let total = 0;
  for (let h = hourOf(fromMs); h < toMs; h += HOUR_MS) {
    const ms = Math.min(toMs, h + HOUR_MS) - Math.max(fromMs, h);
    total += Math.floor((microsPerHour * ms + HOUR_MS / 2) / HOUR_MS);
  }
  return total;
}

describe('a charge larger than the balance', () => {
  it('settles the balance to 0, forgives the rest on the usage entry, and leaves no debt', async () => {
    const hourMs = currentHour() - HOUR_MS;
    const ws = await fundedWorkspace('Charge over balance', 0);
    await grant(ws.workspaceId, 5_000);
    await recordUsage([chargeEvent(ws.workspaceId, hourMs + 10 * MINUTE_MS, 8_000, unique('big'), 'Big charge')]);

    // While open: the spendable balance shows 0, not -3,000; nothing more can be spent.
    expect(await credits(ws.adminKey)).toMatchObject({ balanceMicros: 0, accumulatingMicros: 8_000 });
    expect((await creditCheck(ws.workspaceId, 1)).body).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });

    const result = await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourMs + HOUR_MS }]);
    expect(result.explicitAcks).toHaveLength(1);
    const rows = await usageRows(ws.workspaceId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount_micros: -5_000, forgiven_micros: 3_000, balance_after_micros: 0 });
    expect(rows[0]!.description).toContain(hourLabel(hourMs));
    expect(await balanceOf(ws.workspaceId)).toEqual({ b: 0, s: hourMs + HOUR_MS });
    await expectInvariant(ws.workspaceId);

    // The public history shows what was charged and what was forgiven.
    const history = await publicApi('GET', '/v1/billing/credits/history?type=usage', ws.adminKey);
    expect(history.body.data).toHaveLength(1);
    expect(history.body.data[0]).toMatchObject({ amountMicros: -5_000, forgivenMicros: 3_000, status: 'completed', balanceAfterMicros: 0 });
    const lines = await settlementLines(ws.workspaceId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ kind: 'charge', cost_micros: 8_000, forgiven_micros: 3_000, transaction_id: rows[0]!.id });
    expect(await credits(ws.adminKey)).toMatchObject({ balanceMicros: 0, accumulatingMicros: 0 });

    // Settling again changes nothing, and a later grant is not eaten by the forgiven remainder.
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourMs + HOUR_MS }]);
    expect(await usageRows(ws.workspaceId)).toHaveLength(1);
    await grant(ws.workspaceId, CREDIT);
    expect((await credits(ws.adminKey)).balanceMicros).toBe(CREDIT);
    await expectInvariant(ws.workspaceId);
  });

  it('a balance already at 0 forgives a whole hour: an entry of 0 with everything forgiven', async () => {
    const hourMs = currentHour() - HOUR_MS;
    const ws = await fundedWorkspace('Zero balance hour', 0);
    await recordUsage([toolEvent(ws.workspaceId, hourMs + 1_000), chargeEvent(ws.workspaceId, hourMs + 2_000, 2_500)]);
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourMs + HOUR_MS }]);
    const rows = await usageRows(ws.workspaceId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ amount_micros: 0, forgiven_micros: 3_500, balance_after_micros: 0 });
    expect((await balanceOf(ws.workspaceId)).b).toBe(0);
    await expectInvariant(ws.workspaceId);
  });
});

describe('an instance running for hours on a small balance', () => {
  it('charges exactly the balance, forgives the rest, and forgives runtime last', async () => {
    const now = currentHour();
    const hours = [now - 3 * HOUR_MS, now - 2 * HOUR_MS, now - HOUR_MS];
    const ws = await fundedWorkspace('Small balance, long runtime', 0);
    await grant(ws.workspaceId, 50_000);

    // cpu-small (36,000 per hour) running since the start of the first hour, still running.
    const resourceId = unique('res_small');
    expect((await startInstance(ws.workspaceId, resourceId, 'cpu-small', hours[0]!)).status).toBe(201);
    // Each hour also: a charge of 2,000, two tool executions (2,000), one gpt-4o-mini call of
    // 1,000 in / 1,000 out (150 + 600 = 750): 4,750 of events, 40,750 with the runtime.
    const events = hours.flatMap((h) => [
      chargeEvent(ws.workspaceId, h + 5 * MINUTE_MS, 2_000),
      toolEvent(ws.workspaceId, h + 6 * MINUTE_MS),
      toolEvent(ws.workspaceId, h + 7 * MINUTE_MS),
      modelEvent(ws.workspaceId, h + 8 * MINUTE_MS, 'gpt-4o-mini', 1_000, 1_000),
    ]);
    await recordUsage(events);

    const result = await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: now }]);
    expect(result.explicitAcks).toHaveLength(1);

    // Hour 1: 40,750 of 50,000 paid. Hour 2: 9,250 left: events (4,750) paid, 4,500 of the runtime,
    // 31,500 of it forgiven. Hour 3: nothing left, all 40,750 forgiven.
    const rows = await usageRows(ws.workspaceId);
    expect(rows).toHaveLength(3);
    const entry = (h: number) => entriesForHour(rows, h)[0]!;
    expect(entry(hours[0]!)).toMatchObject({ amount_micros: -40_750, forgiven_micros: 0, balance_after_micros: 9_250 });
    expect(entry(hours[1]!)).toMatchObject({ amount_micros: -9_250, forgiven_micros: 31_500, balance_after_micros: 0 });
    expect(entry(hours[2]!)).toMatchObject({ amount_micros: 0, forgiven_micros: 40_750, balance_after_micros: 0 });
    expect(-rows.reduce((t, r) => t + r.amount_micros, 0)).toBe(50_000);
    expect(rows.reduce((t, r) => t + r.forgiven_micros, 0)).toBe(3 * 40_750 - 50_000);
    expect((await balanceOf(ws.workspaceId)).b).toBe(0);
    await expectInvariant(ws.workspaceId);

    // Line by line: in the hour the balance ran out, every event line was paid in full and only
    // the instance's runtime was forgiven.
    const lines = (await settlementLines(ws.workspaceId)).filter((l) => l.hour_ms === hours[1]);
    const byKind = Object.fromEntries(lines.map((l) => [l.kind, l]));
    expect(Object.keys(byKind).sort()).toEqual(['charge', 'instance', 'model', 'tool']);
    expect(byKind.charge).toMatchObject({ cost_micros: 2_000, forgiven_micros: 0 });
    expect(byKind.tool).toMatchObject({ cost_micros: 2_000, forgiven_micros: 0, count: 2 });
    expect(byKind.model).toMatchObject({ cost_micros: 750, forgiven_micros: 0 });
    expect(byKind.instance).toMatchObject({ cost_micros: 36_000, forgiven_micros: 31_500, runtime_ms: HOUR_MS, line_key: resourceId });
    // In the hour with nothing left, every line is forgiven in full.
    for (const l of (await settlementLines(ws.workspaceId)).filter((x) => x.hour_ms === hours[2])) expect(l.forgiven_micros).toBe(l.cost_micros);
    for (const l of (await settlementLines(ws.workspaceId)).filter((x) => x.hour_ms === hours[0])) expect(l.forgiven_micros).toBe(0);

    // Nothing left to spend: balance 0. The instance was terminated when the balance reached zero
    // (no debt accrues), so only last hour's event usage, pro rata, is left in the burn rate.
    const summary = await credits(ws.adminKey);
    expect(summary.balanceMicros).toBe(0);
    expect([0, null]).toContain(summary.hoursRemaining);
    expect(summary.burnRateMicrosPerHour).toBeLessThanOrEqual(4_750);

    const stopped = await stopResource(resourceId);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'stopped', stopReason: 'zero_balance' });
    await expectInvariant(ws.workspaceId);
  });

  it('a later hour whose balance falls short mid-way through the event lines forgives them in order', async () => {
    const hourMs = currentHour() - HOUR_MS;
    const ws = await fundedWorkspace('Short mid-events', 0);
    await grant(ws.workspaceId, 3_000);
    // charge 2,000 (paid), 2 tools 2,000 (1,000 paid, 1,000 forgiven), gpt-4o 1,000 / 100 = 3,500 (forgiven)
    await recordUsage([
      chargeEvent(ws.workspaceId, hourMs + 1_000, 2_000),
      toolEvent(ws.workspaceId, hourMs + 2_000),
      toolEvent(ws.workspaceId, hourMs + 3_000),
      modelEvent(ws.workspaceId, hourMs + 4_000, 'gpt-4o', 1_000, 100),
    ]);
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: hourMs + HOUR_MS }]);
    expect(await usageRows(ws.workspaceId)).toMatchObject([{ amount_micros: -3_000, forgiven_micros: 4_500, balance_after_micros: 0 }]);
    const byKind = Object.fromEntries((await settlementLines(ws.workspaceId)).map((l) => [l.kind, l]));
    expect(byKind.charge).toMatchObject({ cost_micros: 2_000, forgiven_micros: 0 });
    expect(byKind.tool).toMatchObject({ cost_micros: 2_000, forgiven_micros: 1_000 });
    expect(byKind.model).toMatchObject({ cost_micros: 3_500, forgiven_micros: 3_500 });
    await expectInvariant(ws.workspaceId);
  });
});

describe('the credit summary while instances run', () => {
  it('reports accumulating runtime, the burn rate from the price list, and hours remaining = balance / burn', async () => {
    const ws = await fundedWorkspace('Burn rate', 2);

    // Nothing runs: no burn, no estimate.
    expect(await credits(ws.adminKey)).toMatchObject({ balanceMicros: 2 * CREDIT, accumulatingMicros: 0, burnRateMicrosPerHour: 0, hoursRemaining: null });

    // cpu-large (288,000 per hour) started 40 minutes ago.
    const large = unique('res_large');
    const startedAt = Date.now() - 40 * MINUTE_MS;
    const started = await startInstance(ws.workspaceId, large, 'cpu-large', startedAt);
    expect(started.status).toBe(201);
    const t0 = Date.now();
    const running = await credits(ws.adminKey);
    const t1 = Date.now();
    expect(running.burnRateMicrosPerHour).toBe(288_000);
    // Rounded once per hour line: within a micro or two of rate × elapsed.
    expect(running.accumulatingMicros).toBeGreaterThanOrEqual(runtimeMicros(288_000, startedAt, t0) - 2);
    expect(running.accumulatingMicros).toBeLessThanOrEqual(runtimeMicros(288_000, startedAt, t1) + 2);
    expect(running.accumulatingMicros).toBeGreaterThan(180_000); // ≈ 192,000 for 40 minutes
    expect(running.balanceMicros).toBe(2 * CREDIT - running.accumulatingMicros);
    expect(running.hoursRemaining).not.toBeNull();
    expect(Math.abs(running.hoursRemaining! - running.balanceMicros / running.burnRateMicrosPerHour)).toBeLessThanOrEqual(0.01);

    // A second instance adds its own rate (gpu-a10g, 1,100,000 per hour).
    const gpu = unique('res_gpu');
    expect((await startInstance(ws.workspaceId, gpu, 'gpu-a10g')).status).toBe(201);
    const both = await credits(ws.adminKey);
    expect(both.burnRateMicrosPerHour).toBe(288_000 + 1_100_000);
    expect(Math.abs(both.hoursRemaining! - both.balanceMicros / both.burnRateMicrosPerHour)).toBeLessThanOrEqual(0.01);

    // Stopping one removes its rate; stopping both brings the burn to 0 (hours remaining null),
    // while the runtime already used stays accumulating, exactly.
    const gpuStop = await stopResource(gpu);
    expect(gpuStop.status).toBe(200);
    expect((await credits(ws.adminKey)).burnRateMicrosPerHour).toBe(288_000);
    const largeStop = await stopResource(large);
    expect(largeStop.status).toBe(200);
    const idle = await credits(ws.adminKey);
    expect(idle.burnRateMicrosPerHour).toBe(0);
    expect(idle.hoursRemaining).toBeNull();
    const expectedUsed =
      runtimeMicros(288_000, startedAt, Date.parse(largeStop.body.stoppedAt)) +
      runtimeMicros(1_100_000, Date.parse(gpuStop.body.startedAt), Date.parse(gpuStop.body.stoppedAt));
    expect(idle.accumulatingMicros).toBe(expectedUsed);
    expect(idle.balanceMicros).toBe(2 * CREDIT - expectedUsed);
    expect(await credits(ws.adminKey)).toMatchObject({ accumulatingMicros: expectedUsed, burnRateMicrosPerHour: 0 });
  });

  it('with the accumulating runtime above the balance, the summary shows 0 left, never negative, and the instance is terminated', async () => {
    const ws = await fundedWorkspace('Burning past zero', 0);
    await grant(ws.workspaceId, 100_000);
    // gpu-h100 (4,500,000 per hour) reported late, started 30 minutes ago: ≈ 2,250,000 used
    // against 100,000. The balance is gone the moment it is recorded, so it is terminated at once.
    const id = unique('res_h100');
    expect((await startInstance(ws.workspaceId, id, 'gpu-h100', Date.now() - 30 * MINUTE_MS)).status).toBe(201);
    const summary = await credits(ws.adminKey);
    expect(summary.accumulatingMicros).toBeGreaterThan(2_000_000);
    expect(summary.balanceMicros).toBe(0);
    expect(summary.burnRateMicrosPerHour).toBe(0);
    expect(summary.hoursRemaining).toBeNull();
    expect((await creditCheck(ws.workspaceId, 1)).body).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
    expect((await stopResource(id)).body).toMatchObject({ status: 'stopped', stopReason: 'zero_balance' });
  });

  it('counts the trailing hour of event usage: events of the hour just settled still burn, pro rata', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Trailing hour burn', 10);
    await recordUsage([chargeEvent(ws.workspaceId, now - HOUR_MS + MINUTE_MS, 1_200_000)]);
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: now }]);
    const t0 = Date.now();
    const summary = await credits(ws.adminKey);
    const t1 = Date.now();
    // The window [now - 1 h, now) still covers the part of last hour after (now - 1 h).
    expect(summary.burnRateMicrosPerHour).toBeGreaterThanOrEqual(Math.round(1_200_000 * (1 - (t1 - now) / HOUR_MS)) - 1);
    expect(summary.burnRateMicrosPerHour).toBeLessThanOrEqual(Math.round(1_200_000 * (1 - (t0 - now) / HOUR_MS)) + 1);
  });
});

describe('the burn rate of a workspace idle for hours', () => {
  // Usage three hours ago, settled; nothing since, nothing running: the trailing hour is empty.
  async function idleSince3HoursAgo() {
    const now = currentHour();
    const ws = await fundedWorkspace('Idle for hours', 10);
    await recordUsage([chargeEvent(ws.workspaceId, now - 3 * HOUR_MS + MINUTE_MS, CREDIT)]);
    const settled = await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: now }]);
    expect(settled.explicitAcks).toHaveLength(1);
    expect(await usageRows(ws.workspaceId)).toMatchObject([{ amount_micros: -CREDIT }]);
    return ws;
  }

  it('is 0 with hours remaining null (ledger object still warm)', async () => {
    const ws = await idleSince3HoursAgo();
    expect(await credits(ws.adminKey)).toMatchObject({ balanceMicros: 9 * CREDIT, accumulatingMicros: 0, burnRateMicrosPerHour: 0, hoursRemaining: null });
  });

  it('is 0 with hours remaining null (ledger object rebuilt from D1)', async () => {
    const ws = await idleSince3HoursAgo();
    await evictDurableObject(env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(ws.workspaceId)));
    expect(await credits(ws.adminKey)).toMatchObject({ balanceMicros: 9 * CREDIT, accumulatingMicros: 0, burnRateMicrosPerHour: 0, hoursRemaining: null });
  });
});
