// Balance thresholds, depleted and recovered (CONTRACT.md "Alerts and warnings"): each threshold
// fires balance.threshold_crossed once per downward crossing, even under 100 concurrent deductions;
// it is re-armed only once the balance rises above it; hoursRemaining thresholds fire from the burn;
// balance.depleted at 0 and balance.recovered when credit lifts it; an eviction loses and repeats nothing.
import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { answeredDeduction, createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import { alertAtOf, alertCounts, alertsOf, CENT, CREDIT, HOUR_MS, ledgerStub, putAlerts, startOk } from './alert_helpers';
import { expectInvariant } from '../helpers/ledger_checks';

describe('balance thresholds', () => {
  it('100 concurrent deductions cross two thresholds: each fires exactly once, with the balance below it', async () => {
    const ws = await createWorkspace('Thresholds under concurrency');
    await grant(ws.workspaceId, 100 * CREDIT);
    await putAlerts(ws.adminKey, { thresholds: [{ balanceCents: 5000 }, { balanceCents: 2000 }, { balanceCents: 500 }] });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => answeredDeduction(ws.workspaceId, 900_000, unique(`conc-${i}`))));
    expect(answers.every((r) => r.status === 201)).toBe(true);
    await expectInvariant(ws.workspaceId);

    const crossed = await alertsOf(ws.workspaceId, 'balance.threshold_crossed');
    expect(crossed.map((e) => e.data.threshold).sort((a, b) => b.balanceCents - a.balanceCents)).toEqual([{ balanceCents: 5000 }, { balanceCents: 2000 }]);
    for (const e of crossed) {
      expect(e.data.balanceMicros).toBeLessThan(e.data.threshold.balanceCents * CENT);
      expect(e.data.balanceMicros).toBeGreaterThanOrEqual(10 * CREDIT);
      expect(e.data).toHaveProperty('hoursRemaining');
    }
    // 10 credits left: the 5 $ threshold was never crossed, and nothing is depleted.
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'balance.threshold_crossed': 2, 'balance.depleted': 0 });
  });

  it('is re-armed only after the balance rises above it: a second fall fires again, a fall while below does not', async () => {
    const ws = await createWorkspace('Thresholds re-arm');
    await grant(ws.workspaceId, 100 * CREDIT);
    await putAlerts(ws.adminKey, { thresholds: [{ balanceCents: 5000 }] });
    await deduct(ws.workspaceId, 60 * CREDIT); // 40
    await deduct(ws.workspaceId, 10 * CREDIT); // 30: still below, nothing new
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length).toBe(1);
    await grant(ws.workspaceId, 15 * CREDIT); // 45: still below, not re-armed
    await deduct(ws.workspaceId, 5 * CREDIT); // 40
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length).toBe(1);
    await grant(ws.workspaceId, 20 * CREDIT); // 60: above, re-armed
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length).toBe(1);
    await deduct(ws.workspaceId, 15 * CREDIT); // 45: crosses again
    const crossed = await alertsOf(ws.workspaceId, 'balance.threshold_crossed');
    expect(crossed.map((e) => e.data.balanceMicros)).toEqual([40 * CREDIT, 45 * CREDIT]);
  });

  it('a threshold the balance is already below when it is set does not fire until the balance rises above it and falls again', async () => {
    const ws = await createWorkspace('Thresholds set below');
    await grant(ws.workspaceId, 10 * CREDIT);
    await putAlerts(ws.adminKey, { thresholds: [{ balanceCents: 2000 }] });
    await deduct(ws.workspaceId, CREDIT);
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length).toBe(0);
    await grant(ws.workspaceId, 20 * CREDIT); // 29
    await deduct(ws.workspaceId, 10 * CREDIT); // 19
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length).toBe(1);
  });

  it('a running instance takes the balance below a threshold: the alarm is armed for that instant and fires it', async () => {
    const ws = await createWorkspace('Thresholds by the burn');
    await grant(ws.workspaceId, 10 * CREDIT);
    await putAlerts(ws.adminKey, { thresholds: [{ balanceCents: 500 }], terminationWarningMinutes: 0 });
    const inst = await startOk(ws.workspaceId, 'gpu-a100'); // 1 micro per ms
    const alertAt = (await alertAtOf(ws.workspaceId))!;
    // 10 credits down to one micro under 5: 5,000,001 ms after the start.
    expect(Math.abs(alertAt - (inst.startedAtMs + 5 * CREDIT + 1))).toBeLessThanOrEqual(1_000);
    const stub = ledgerStub(ws.workspaceId);
    await stub.checkBalance(ws.workspaceId, alertAt - 2_000);
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length).toBe(0);
    await stub.checkBalance(ws.workspaceId, alertAt + 1_000);
    const crossed = await alertsOf(ws.workspaceId, 'balance.threshold_crossed');
    expect(crossed).toHaveLength(1);
    expect(crossed[0]!.data.balanceMicros).toBeLessThan(5 * CREDIT);
    // Crossed: no alert is due any more.
    expect(await alertAtOf(ws.workspaceId)).toBeNull();
  });
});

describe('hoursRemaining thresholds', () => {
  it('fire when the hours remaining fall below them (an instance starts, the burn goes on), once each, re-armed by a deposit', async () => {
    const ws = await createWorkspace('Hours thresholds');
    await grant(ws.workspaceId, 10 * CREDIT);
    await putAlerts(ws.adminKey, { thresholds: [{ hoursRemaining: 5 }, { hoursRemaining: 2 }], terminationWarningMinutes: 0 });
    // 10 credits at 3.6 an hour: 2.77 hours. Below 5 at once; below 2 after 2,800 s.
    const inst = await startOk(ws.workspaceId, 'gpu-a100');
    let crossed = await alertsOf(ws.workspaceId, 'balance.threshold_crossed');
    expect(crossed.map((e) => e.data.threshold)).toEqual([{ hoursRemaining: 5 }]);
    expect(crossed[0]!.data.hoursRemaining).toBeGreaterThan(2.7);
    expect(crossed[0]!.data.hoursRemaining).toBeLessThan(2.78);

    const alertAt = (await alertAtOf(ws.workspaceId))!;
    expect(Math.abs(alertAt - (inst.startedAtMs + 10 * CREDIT - 2 * HOUR_MS))).toBeLessThanOrEqual(1_000);
    const stub = ledgerStub(ws.workspaceId);
    await stub.checkBalance(ws.workspaceId, alertAt - 5_000);
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length).toBe(1);
    // Within a few seconds of the instant (the hours are rounded down to two decimals).
    for (let at = alertAt; at <= alertAt + 10_000 && (await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length < 2; at += 1_000) {
      await stub.checkBalance(ws.workspaceId, at);
    }
    crossed = await alertsOf(ws.workspaceId, 'balance.threshold_crossed');
    expect(crossed.map((e) => e.data.threshold)).toEqual([{ hoursRemaining: 5 }, { hoursRemaining: 2 }]);
    expect(crossed[1]!.data.hoursRemaining).toBeLessThan(2);

    // 100 credits more: about 30 hours left, both re-armed; stopping the burn changes nothing more.
    await grant(ws.workspaceId, 100 * CREDIT);
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).length).toBe(2);
    expect(await alertAtOf(ws.workspaceId)).not.toBeNull();
  });
});

describe('depleted and recovered', () => {
  it('a new workspace at 0 is not depleted; reaching 0 is told once, a grant recovers it, reaching 0 again is told again', async () => {
    const ws = await createWorkspace('Depleted and recovered');
    await putAlerts(ws.adminKey, { thresholds: [] });
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'balance.depleted': 0, 'balance.recovered': 0 });

    await grant(ws.workspaceId, 5 * CREDIT);
    await deduct(ws.workspaceId, 5 * CREDIT);
    expect((await deduct(ws.workspaceId, 1)).status).toBe(402);
    const depleted = await alertsOf(ws.workspaceId, 'balance.depleted');
    expect(depleted).toHaveLength(1);
    expect(depleted[0]!.data).toMatchObject({ balanceMicros: 0 });
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'balance.recovered': 0 });

    await grant(ws.workspaceId, 2 * CREDIT);
    const recovered = await alertsOf(ws.workspaceId, 'balance.recovered');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.data).toMatchObject({ balanceMicros: 2 * CREDIT });
    await grant(ws.workspaceId, CREDIT); // above 0 already: nothing
    await deduct(ws.workspaceId, 3 * CREDIT);
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'balance.depleted': 2, 'balance.recovered': 1 });
  });
});

describe('evictions', () => {
  it('an eviction between the crossing and its delivery loses nothing and repeats nothing', async () => {
    const ws = await createWorkspace('Alerts across evictions');
    const stub = ledgerStub(ws.workspaceId);
    await grant(ws.workspaceId, 10 * CREDIT);
    await putAlerts(ws.adminKey, { thresholds: [{ balanceCents: 500 }], terminationWarningMinutes: 0 });

    // A deduction crosses: the outbox row is committed before the answer.
    await deduct(ws.workspaceId, 6 * CREDIT);
    const first = await alertsOf(ws.workspaceId, 'balance.threshold_crossed');
    expect(first).toHaveLength(1);
    await evictDurableObject(stub);
    // The rebuilt object knows it told: its alarm, a check and another deduction below the line repeat nothing.
    await stub.checkBalance(ws.workspaceId);
    await deduct(ws.workspaceId, CREDIT);
    await evictDurableObject(stub);
    await stub.checkBalance(ws.workspaceId);
    expect((await alertsOf(ws.workspaceId, 'balance.threshold_crossed')).map((e) => e.id)).toEqual([first[0]!.id]);

    // A crossing the burn makes while the object is gone is decided by the rebuilt object, once.
    await grant(ws.workspaceId, 10 * CREDIT); // 13: re-armed
    await putAlerts(ws.adminKey, { thresholds: [{ balanceCents: 500 }, { balanceCents: 1000 }], terminationWarningMinutes: 0 });
    const inst = await startOk(ws.workspaceId, 'gpu-a100');
    const alertAt = (await alertAtOf(ws.workspaceId))!;
    expect(Math.abs(alertAt - (inst.startedAtMs + 3 * CREDIT + 1))).toBeLessThanOrEqual(1_000);
    await evictDurableObject(stub);
    await stub.checkBalance(ws.workspaceId, alertAt + 1_000);
    await evictDurableObject(stub);
    await stub.checkBalance(ws.workspaceId, alertAt + 2_000);
    const crossed = await alertsOf(ws.workspaceId, 'balance.threshold_crossed');
    expect(crossed.map((e) => e.data.threshold)).toEqual([{ balanceCents: 500 }, { balanceCents: 1000 }]);
  });
});
