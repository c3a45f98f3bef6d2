// The workspace's ledger object predicts when the balance reaches zero at the current burn rate and
// sets its alarm for that instant: an instance is terminated on time (not at the next hourly cron),
// charged exactly the balance, the rest forgiven. Also: an early alarm re-arms, a real alarm fires on
// its own, one instance.terminated per instance, and balance.low once per crossing of the horizon.
import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import {
  balanceAlarmOf,
  balanceRow,
  CREDIT,
  creditCheck,
  credits,
  eventCounts,
  eventsOf,
  eventually,
  expectInvariant,
  HOUR_MS,
  hourOf,
  intervalsOf,
  iso,
  ledgerStub,
  resourceRow,
  startInstance,
  startVolume,
  usageEntries,
} from './zero_balance_helpers';

const A100_PER_HOUR = 3_600_000; // 1,000 micros per second = 1 micro per millisecond
const CPU_SMALL_PER_HOUR = 36_000;
const CPU_LARGE_PER_HOUR = 288_000;

/** A workspace holding exactly `micros`. */
async function workspaceWith(name: string, micros: number) {
  const ws = await createWorkspace(name);
  await grant(ws.workspaceId, micros);
  return ws;
}

async function startOk(workspaceId: string, instanceType: string, startedAtMs?: number) {
  const id = unique('res_inst');
  const res = await startInstance(workspaceId, id, instanceType, startedAtMs);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id, startedAtMs: Date.parse(res.body.startedAt) };
}

describe('1 credit and a gpu-a100 (3.6 credits/hour) started now', () => {
  it('arms the alarm at start + 1,000 s; the alarm at that instant terminates it, charges exactly 1 credit and forgives the rest', async () => {
    const ws = await workspaceWith('Predicted termination', CREDIT);
    const stub = ledgerStub(ws.workspaceId);
    const inst = await startOk(ws.workspaceId, 'gpu-a100');

    // 1,000,000 micros at 1,000 micros/s: zero is crossed 1,000 s after the start.
    const alarmAt = await balanceAlarmOf(ws.workspaceId);
    expect(alarmAt).not.toBeNull();
    expect(Math.abs(alarmAt! - (inst.startedAtMs + 1_000_000))).toBeLessThanOrEqual(1_000);
    expect((await credits(ws.adminKey)).burnRateMicrosPerHour).toBe(A100_PER_HOUR);

    // The alarm fires at the predicted instant.
    const fired = await stub.checkBalance(ws.workspaceId, alarmAt!);
    expect(fired).toMatchObject({ ok: true, value: { balanceAtMs: null } });

    // Stopped in the meter at that very moment, for a zero balance, and its interval closed there.
    expect(await resourceRow(inst.id)).toMatchObject({ stopped_at_ms: alarmAt, stop_reason: 'zero_balance' });
    expect(await intervalsOf(inst.id)).toMatchObject([{ started_at_ms: inst.startedAtMs, stopped_at_ms: alarmAt }]);
    // Nothing runs any more: no balance alarm is left (settlement of the hour it ran in still is).
    expect(await balanceAlarmOf(ws.workspaceId)).toBeNull();

    // The platform is told once, with the instance and the reason; no volumes, so no storage event.
    const terminated = await eventsOf(ws.workspaceId, 'instance.terminated');
    expect(terminated).toHaveLength(1);
    expect(terminated[0]).toMatchObject({
      type: 'instance.terminated',
      workspaceId: ws.workspaceId,
      data: { instanceId: inst.id, instanceType: 'gpu-a100', reason: 'zero_balance', terminatedAt: iso(alarmAt!) },
    });
    expect(await eventsOf(ws.workspaceId, 'storage.suspended')).toHaveLength(0);

    // The alarm delivered twice (a retry of the alarm handler) changes nothing and notifies nobody again.
    await stub.checkBalance(ws.workspaceId, alarmAt!);
    expect(await eventsOf(ws.workspaceId, 'instance.terminated')).toHaveLength(1);

    // Settle every hour the instance ran in: charged exactly its balance, the remainder forgiven.
    const settled = await stub.settle(ws.workspaceId, hourOf(alarmAt!) + HOUR_MS);
    expect(settled.ok).toBe(true);
    const rows = await usageEntries(ws.workspaceId);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.reduce((t, r) => t + r.amount_micros, 0)).toBe(-CREDIT);
    const forgiven = rows.reduce((t, r) => t + r.forgiven_micros, 0);
    expect(forgiven).toBeGreaterThanOrEqual(0);
    // Runtime = alarmAt - start ms at 1 micro/ms: what was used is exactly charged + forgiven.
    expect(CREDIT + forgiven).toBe(alarmAt! - inst.startedAtMs);
    expect(settled).toMatchObject({ ok: true, value: { chargedMicros: CREDIT, forgivenMicros: forgiven } });
    expect((await balanceRow(ws.workspaceId)).b).toBe(0);
    await expectInvariant(ws.workspaceId);

    // At zero: the credit check refuses, and nothing new may start.
    expect(await creditCheck(ws.workspaceId, 1)).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
    expect(await creditCheck(ws.workspaceId, 0)).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
    const refused = await startInstance(ws.workspaceId, unique('res_refused'), 'cpu-small');
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe('insufficient_credits');
    expect(await eventsOf(ws.workspaceId, 'instance.terminated')).toHaveLength(1);
  });

  it('an alarm simulated before the crossing terminates nothing and keeps the alarm at the crossing', async () => {
    const ws = await workspaceWith('Early alarm (simulated)', CREDIT);
    const stub = ledgerStub(ws.workspaceId);
    const inst = await startOk(ws.workspaceId, 'gpu-a100');
    const alarmAt = (await balanceAlarmOf(ws.workspaceId))!;
    expect(Math.abs(alarmAt - (inst.startedAtMs + 1_000_000))).toBeLessThanOrEqual(1_000);

    // Half way, and one second before the crossing: still credits left, nothing stops.
    for (const at of [inst.startedAtMs + 500_000, alarmAt - 1_000]) {
      const early = await stub.checkBalance(ws.workspaceId, at);
      expect(early.ok).toBe(true);
      expect(early.ok && early.value.balanceAtMs).toBe(alarmAt);
      expect(await balanceAlarmOf(ws.workspaceId)).toBe(alarmAt);
      expect(await resourceRow(inst.id)).toMatchObject({ stopped_at_ms: null, stop_reason: null });
      expect(await eventsOf(ws.workspaceId, 'instance.terminated')).toHaveLength(0);
    }
    expect((await creditCheck(ws.workspaceId, 1)).allowed).toBe(true);
  });

  it('the real alarm handler run early (now, ~1,000 s before the crossing) terminates nothing and re-arms at the crossing', async () => {
    const ws = await workspaceWith('Early alarm (handler)', CREDIT);
    const inst = await startOk(ws.workspaceId, 'gpu-a100');
    const armed = (await balanceAlarmOf(ws.workspaceId))!;
    expect(armed).not.toBeNull();

    // Runs alarm() now and removes the alarm, as the runtime does when it fires one.
    expect(await runDurableObjectAlarm(ledgerStub(ws.workspaceId))).toBe(true);
    const rearmed = await balanceAlarmOf(ws.workspaceId);
    expect(rearmed).not.toBeNull();
    expect(Math.abs(rearmed! - (inst.startedAtMs + 1_000_000))).toBeLessThanOrEqual(1_000);
    expect(await resourceRow(inst.id)).toMatchObject({ stopped_at_ms: null });
    expect(await eventsOf(ws.workspaceId, 'instance.terminated')).toHaveLength(0);
  });

  it('the alarm fires on its own at the crossing (instance reported 998 s late): terminated within a minute, refused afterwards', async () => {
    const ws = await workspaceWith('Real alarm', CREDIT);
    const stub = ledgerStub(ws.workspaceId);
    const inst = await startOk(ws.workspaceId, 'gpu-a100', Date.now() - 998_000);
    const crossing = inst.startedAtMs + 1_000_000;
    const alarmAt = (await balanceAlarmOf(ws.workspaceId))!;
    expect(alarmAt).not.toBeNull();
    // Never sooner than a second from the last decision, otherwise at the crossing.
    expect(alarmAt).toBeGreaterThanOrEqual(crossing);
    expect(alarmAt).toBeLessThanOrEqual(crossing + 1_500);
    expect((await resourceRow(inst.id))!.stopped_at_ms).toBeNull();

    // Wait for the runtime to fire the alarm (about two seconds from now).
    const row = await eventually(() => resourceRow(inst.id), (r) => r?.stopped_at_ms !== null, 'the alarm terminating the instance', 20_000);
    expect(row!.stop_reason).toBe('zero_balance');
    expect(row!.stopped_at_ms!).toBeGreaterThanOrEqual(crossing);
    expect(row!.stopped_at_ms!).toBeLessThanOrEqual(crossing + 60_000);

    // At zero now, for real: refused, and told once.
    expect(await creditCheck(ws.workspaceId, 1)).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
    const refused = await startInstance(ws.workspaceId, unique('res_refused'), 'cpu-small');
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe('insufficient_credits');
    const terminated = await eventsOf(ws.workspaceId, 'instance.terminated');
    expect(terminated).toHaveLength(1);
    expect(terminated[0]!.data).toMatchObject({ instanceId: inst.id, reason: 'zero_balance', terminatedAt: iso(row!.stopped_at_ms!) });
    expect(await balanceAlarmOf(ws.workspaceId)).toBeNull();

    // Settled: exactly the credit charged, the overrun (one micro per ms past the crossing) forgiven.
    const settled = await stub.settle(ws.workspaceId, hourOf(row!.stopped_at_ms!) + HOUR_MS);
    expect(settled.ok).toBe(true);
    const rows = await usageEntries(ws.workspaceId);
    expect(rows.reduce((t, r) => t + r.amount_micros, 0)).toBe(-CREDIT);
    expect(rows.reduce((t, r) => t + r.forgiven_micros, 0)).toBe(row!.stopped_at_ms! - crossing);
    expect((await balanceRow(ws.workspaceId)).b).toBe(0);
    await expectInvariant(ws.workspaceId);
  });
});

describe('several instances', () => {
  it('each running instance is stopped at the crossing and announced once, with its own id', async () => {
    const ws = await workspaceWith('Two instances', CREDIT);
    const stub = ledgerStub(ws.workspaceId);
    const a100 = await startOk(ws.workspaceId, 'gpu-a100');
    const small = await startOk(ws.workspaceId, 'cpu-small');

    // Zero at t where (t - s1) * 1 + (t - s2) * 0.01 = 1,000,000 (micros, ms).
    const predicted = (CREDIT + a100.startedAtMs + small.startedAtMs / 100) / 1.01;
    let at = (await balanceAlarmOf(ws.workspaceId))!;
    expect(Math.abs(at - predicted)).toBeLessThanOrEqual(1_000);

    // Rounding to whole micros may leave a micro at the predicted instant: the object then re-arms a
    // second later. Follow the alarms as the runtime would; it must be done within a minute.
    const first = at;
    for (let i = 0; i < 5 && (await resourceRow(a100.id))!.stopped_at_ms === null; i++) {
      const r = await stub.checkBalance(ws.workspaceId, at);
      expect(r.ok).toBe(true);
      if (r.ok && r.value.balanceAtMs !== null) at = r.value.balanceAtMs;
    }
    const stoppedAt = (await resourceRow(a100.id))!.stopped_at_ms;
    expect(stoppedAt).not.toBeNull();
    expect(stoppedAt! - first).toBeLessThanOrEqual(60_000);
    for (const inst of [a100, small]) expect(await resourceRow(inst.id)).toMatchObject({ stopped_at_ms: stoppedAt, stop_reason: 'zero_balance' });

    const terminated = await eventsOf(ws.workspaceId, 'instance.terminated');
    expect(terminated.map((e) => e.data.instanceId).sort()).toEqual([a100.id, small.id].sort());
    expect(terminated.every((e) => e.data.reason === 'zero_balance')).toBe(true);
    expect(new Set(terminated.map((e) => e.id)).size).toBe(2);

    const settled = await stub.settle(ws.workspaceId, hourOf(stoppedAt!) + HOUR_MS);
    expect(settled.ok).toBe(true);
    const rows = await usageEntries(ws.workspaceId);
    expect(rows.reduce((t, r) => t + r.amount_micros, 0)).toBe(-CREDIT);
    expect(rows.every((r) => r.forgiven_micros >= 0)).toBe(true);
    expect((await balanceRow(ws.workspaceId)).b).toBe(0);
    await expectInvariant(ws.workspaceId);
  });
});

describe('an instance reported with a start slightly in the future (platform clock ahead; up to 5 min is accepted)', () => {
  it('is covered by the alarm: 1 credit and a gpu-a100 starting in 30 s -> an alarm at its start + 1,000 s', async () => {
    const ws = await workspaceWith('Clock skew', CREDIT);
    const inst = await startOk(ws.workspaceId, 'gpu-a100', Date.now() + 30_000);
    const alarmAt = await balanceAlarmOf(ws.workspaceId);
    // Without an alarm nothing stops it at the crossing: it would run on a zero balance until some
    // other mutation or the hourly cron happened to look.
    expect(alarmAt, 'alarm armed for an instance whose start is 30 s ahead').not.toBeNull();
    expect(alarmAt!).toBeLessThanOrEqual(inst.startedAtMs + 1_000_000 + 1_000);
  });

  it('is not left to run later on a zero balance: at zero it is stopped too, or an alarm waits for its start', async () => {
    const ws = await workspaceWith('Clock skew at zero', CREDIT);
    const running = await startOk(ws.workspaceId, 'cpu-small');
    const ahead = await startOk(ws.workspaceId, 'cpu-small', Date.now() + 60_000);
    // A correction takes the spendable balance to exactly 0.
    const zero = await internal('POST', '/internal/v1/adjustments', { id: unique('zero'), workspaceId: ws.workspaceId, amountMicros: -2 * CREDIT, description: 'Correction' });
    expect(zero.status).toBe(201);
    expect(await resourceRow(running.id)).toMatchObject({ stop_reason: 'zero_balance' });

    const aheadRow = (await resourceRow(ahead.id))!;
    const alarmAt = await balanceAlarmOf(ws.workspaceId);
    const handled = aheadRow.stopped_at_ms !== null || (alarmAt !== null && alarmAt <= ahead.startedAtMs + 60_000);
    expect(handled, `instance starting at +60 s: ${JSON.stringify(aheadRow)}, alarm ${alarmAt}`).toBe(true);
  });
});

describe('balance.low at the horizon (LOW_BALANCE_HORIZON_HOURS, default 24)', () => {
  it('fires once when hours remaining drop below 24, and not again on further mutations', async () => {
    // 1 credit at cpu-large (288,000/h): about 3.5 hours remaining.
    const ws = await workspaceWith('Low balance', CREDIT);
    expect(await eventsOf(ws.workspaceId, 'balance.low')).toHaveLength(0);
    await startOk(ws.workspaceId, 'cpu-large');

    const low = await eventsOf(ws.workspaceId, 'balance.low');
    expect(low).toHaveLength(1);
    expect(low[0]!.data).toMatchObject({ horizonHours: 24, burnRateMicrosPerHour: CPU_LARGE_PER_HOUR });
    expect(low[0]!.data.hoursRemaining).toBeGreaterThan(3);
    expect(low[0]!.data.hoursRemaining).toBeLessThanOrEqual(24); // at the horizon counts as low

    // Still low after each of these: no second balance.low.
    expect((await deduct(ws.workspaceId, 10_000)).status).toBe(201);
    await grant(ws.workspaceId, 5_000);
    await startOk(ws.workspaceId, 'cpu-small');
    expect((await deduct(ws.workspaceId, 1_000)).status).toBe(201);
    expect(await creditCheck(ws.workspaceId, 1)).toMatchObject({ allowed: true });
    expect(await eventsOf(ws.workspaceId, 'balance.low')).toHaveLength(1);
    expect(await eventCounts(ws.workspaceId)).toEqual({ 'balance.low': 1 });
  });

  it('does not fire while hours remaining are far above the horizon; the alarm waits for the horizon', async () => {
    // 100 credits at cpu-small (36,000/h): about 2,778 hours remaining.
    const ws = await workspaceWith('Plenty left', 100 * CREDIT);
    const inst = await startOk(ws.workspaceId, 'cpu-small');
    expect((await deduct(ws.workspaceId, CREDIT)).status).toBe(201);
    await grant(ws.workspaceId, CREDIT);
    expect(await eventsOf(ws.workspaceId)).toHaveLength(0);

    // The next wake-up is the horizon (24 h before the zero crossing), not the crossing itself,
    // but never more than a week ahead: a far prediction is re-evaluated, not trusted (and setAlarm
    // refuses dates centuries away).
    const alarmAt = (await balanceAlarmOf(ws.workspaceId))!;
    const zeroAt = inst.startedAtMs + (100 * CREDIT * HOUR_MS) / CPU_SMALL_PER_HOUR;
    const expected = Math.min(zeroAt - 24 * HOUR_MS, Date.now() + 7 * 24 * HOUR_MS);
    expect(Math.abs(alarmAt - expected)).toBeLessThanOrEqual(60_000);
    expect(alarmAt).toBeLessThan(zeroAt - 24 * HOUR_MS);
  });

  it('the alarm at the horizon (1 credit at cpu-small: ~27.8 h left) raises balance.low once', async () => {
    const ws = await workspaceWith('Horizon alarm', CREDIT);
    const stub = ledgerStub(ws.workspaceId);
    const inst = await startOk(ws.workspaceId, 'cpu-small');
    expect(await eventsOf(ws.workspaceId, 'balance.low')).toHaveLength(0);

    const zeroAt = inst.startedAtMs + (CREDIT * HOUR_MS) / CPU_SMALL_PER_HOUR;
    let at = (await balanceAlarmOf(ws.workspaceId))!;
    expect(Math.abs(at - (zeroAt - 24 * HOUR_MS))).toBeLessThanOrEqual(60_000);

    // Follow the alarms the object sets, as the runtime would fire them, until it warns or terminates.
    // At the horizon instant exactly 24.00 h remain (not yet "below"); the object must then wake up
    // again shortly after, not skip to the zero crossing, so the warning comes ~24 h before zero.
    const first = at;
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) {
      if ((await eventsOf(ws.workspaceId, 'balance.low')).length > 0 || (await resourceRow(inst.id))!.stopped_at_ms !== null) break;
      fired.push(at);
      const r = await stub.checkBalance(ws.workspaceId, at);
      expect(r.ok).toBe(true);
      if (!r.ok || r.value.balanceAtMs === null) break;
      at = r.value.balanceAtMs;
    }
    const counts = await eventCounts(ws.workspaceId);
    expect(
      counts,
      `alarms fired at ${fired.map((t) => `start + ${((t - inst.startedAtMs) / HOUR_MS).toFixed(4)} h`).join(', ')}; zero at start + ${((zeroAt - inst.startedAtMs) / HOUR_MS).toFixed(4)} h`,
    ).toEqual({ 'balance.low': 1 });
    const low = await eventsOf(ws.workspaceId, 'balance.low');
    expect(low[0]!.data.hoursRemaining).toBeLessThanOrEqual(24); // at the horizon counts as low
    expect(low[0]!.data.hoursRemaining).toBeGreaterThan(23.9);
    // Raised by the last alarm followed, within a minute of the horizon.
    expect(fired.at(-1)! - first).toBeLessThanOrEqual(60_000);
    // The next wake-up is now the zero crossing itself.
    expect(Math.abs((await balanceAlarmOf(ws.workspaceId))! - zeroAt)).toBeLessThanOrEqual(60_000);
    // The instance runs on: low is not zero.
    expect((await resourceRow(inst.id))!.stopped_at_ms).toBeNull();
  });
});

describe('a balance that lasts for centuries at the current burn', () => {
  it('enforcement and the alarm handler still succeed when the predicted crossing is beyond what setAlarm accepts (~year 2262)', async () => {
    // 1,000 credits and one 1 GB volume (100,000 per GB-month: 137 micros/hour): zero in ~830 years.
    const ws = await workspaceWith('Centuries of credit', 1_000 * CREDIT);
    const stub = ledgerStub(ws.workspaceId);
    const a100 = await startOk(ws.workspaceId, 'gpu-a100');
    const volume = await startVolume(ws.workspaceId, unique('res_vol'), 1_000_000_000);
    expect(volume.status, JSON.stringify(volume.body)).toBe(201);
    // With the a100 running, zero is ~278 h away: an alarm at the 24 h horizon before it.
    const withA100 = (await balanceAlarmOf(ws.workspaceId))!;
    expect(withA100).toBeLessThan(Date.now() + 300 * HOUR_MS);

    // Stopping it leaves only the volume: the next crossing is beyond what an alarm can be set to.
    const stop = await internal('POST', `/internal/v1/resources/${a100.id}/stop`, {});
    expect(stop.status).toBe(200);
    // What the alarm handler does when it fires: it must not throw (the runtime would retry it).
    const check = await stub.checkBalance(ws.workspaceId).then(
      (r) => r,
      (e: unknown) => ({ ok: false, thrown: String(e) }),
    );
    expect(check).toMatchObject({ ok: true });
    // No stale alarm from the a100 is left to wake the object ~254 h from now for nothing.
    const after = await balanceAlarmOf(ws.workspaceId);
    expect(after === null || after > withA100).toBe(true);
  });
});

