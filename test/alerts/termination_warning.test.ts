// The termination warning (CONTRACT.md "Alerts and warnings"): instance.termination_scheduled when the
// predicted zero crossing comes within terminationWarningMinutes (within 10 s of entering the window:
// the object's alarm is armed for that instant), again when the prediction moves earlier, and
// instance.termination_cancelled when a deposit, grant or stop moves it out of the window.
import { describe, expect, it } from 'vitest';
import { createWorkspace, grant } from '../helpers/fixtures';
import { alarmPlanOf } from '../helpers/ledger_checks';
import { alertAtOf, alertCounts, alertsOf, CREDIT, eventsOf, ledgerStub, MINUTE_MS, putAlerts, startOk, stopOk } from './alert_helpers';

describe('instance.termination_scheduled', () => {
  it('fires within 10 s of the predicted crossing entering the window (the alarm is armed for it), and a deposit cancels it', async () => {
    const ws = await createWorkspace('Warning window');
    await grant(ws.workspaceId, CREDIT);
    await putAlerts(ws.adminKey, { thresholds: [], terminationWarningMinutes: 10 });
    // 1 credit at 1 micro per ms: zero 1,000 s after the start; the 10-minute window opens at 400 s.
    const inst = await startOk(ws.workspaceId, 'gpu-a100');
    const zeroAt = inst.startedAtMs + CREDIT;
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'instance.termination_scheduled': 0 });
    const plan = await alarmPlanOf(ws.workspaceId);
    const windowAt = zeroAt - 10 * MINUTE_MS;
    expect(Math.abs(plan.alertAtMs! - windowAt)).toBeLessThanOrEqual(1_000);
    expect(plan.alarmAtMs).toBe(plan.alertAtMs); // the object's one alarm wakes it then

    const stub = ledgerStub(ws.workspaceId);
    await stub.checkBalance(ws.workspaceId, windowAt - 2_000);
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'instance.termination_scheduled': 0 });
    // Follow the alarm as the runtime would from the instant it was armed for: told within 10 s.
    let at = plan.alertAtMs!;
    while ((await alertsOf(ws.workspaceId, 'instance.termination_scheduled')).length === 0) {
      expect(at - windowAt, 'the warning lags the window by at most 10 s').toBeLessThanOrEqual(10_000);
      const r = await stub.checkBalance(ws.workspaceId, at);
      at = r.ok && r.value.alarmAtMs !== null ? Math.max(r.value.alarmAtMs, at + 1) : at + 1_000;
    }
    const [warning] = await alertsOf(ws.workspaceId, 'instance.termination_scheduled');
    expect(warning!.data.instanceIds).toEqual([inst.id]);
    expect(Math.abs(Date.parse(warning!.data.predictedAt) - zeroAt)).toBeLessThanOrEqual(1_000);
    expect(await alertAtOf(ws.workspaceId)).toBeNull();

    // The alarm again at the same prediction: not told twice.
    await stub.checkBalance(ws.workspaceId, windowAt + 20_000);
    expect((await alertsOf(ws.workspaceId, 'instance.termination_scheduled')).length).toBe(1);

    // A deposit moves the crossing hours away: cancelled, naming the prediction it withdraws.
    await grant(ws.workspaceId, 10 * CREDIT);
    const cancelled = await alertsOf(ws.workspaceId, 'instance.termination_cancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.data.predictedAt).toBe(warning!.data.predictedAt);
    expect(Date.parse(cancelled[0]!.data.newPredictedAt) - Date.now()).toBeGreaterThan(10 * MINUTE_MS);
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'instance.termination_scheduled': 1, 'instance.termination_cancelled': 1 });
  });

  it('a crossing already within the window warns at once; an earlier prediction warns again; a later one does not; a stop outside the window cancels', async () => {
    const ws = await createWorkspace('Warning moves');
    await grant(ws.workspaceId, CREDIT); // default window: 60 minutes
    const first = await startOk(ws.workspaceId, 'gpu-a100');
    let warnings = await alertsOf(ws.workspaceId, 'instance.termination_scheduled');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.data.instanceIds).toEqual([first.id]);
    expect(Math.abs(Date.parse(warnings[0]!.data.predictedAt) - (first.startedAtMs + CREDIT))).toBeLessThanOrEqual(1_000);

    // A second a100 doubles the burn: about 500 s earlier, told again with both instances.
    const second = await startOk(ws.workspaceId, 'gpu-a100');
    warnings = await alertsOf(ws.workspaceId, 'instance.termination_scheduled');
    expect(warnings).toHaveLength(2);
    expect([...warnings[1]!.data.instanceIds].sort()).toEqual([first.id, second.id].sort());
    expect(Date.parse(warnings[1]!.data.predictedAt)).toBeLessThan(Date.parse(warnings[0]!.data.predictedAt) - 60_000);

    // Stopping one moves it later, still inside the window: nothing new, nothing cancelled.
    await stopOk(second.id);
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'instance.termination_scheduled': 2, 'instance.termination_cancelled': 0 });

    // Stopping the last one: nothing will be terminated any more.
    await stopOk(first.id);
    const cancelled = await alertsOf(ws.workspaceId, 'instance.termination_cancelled');
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.data).toMatchObject({ predictedAt: warnings[1]!.data.predictedAt, newPredictedAt: null });
  });

  it('the termination itself is not a cancellation: at zero, instance.terminated and balance.depleted follow the warning', async () => {
    const ws = await createWorkspace('Warning then termination');
    await grant(ws.workspaceId, CREDIT);
    const inst = await startOk(ws.workspaceId, 'gpu-a100');
    const [warning] = await alertsOf(ws.workspaceId, 'instance.termination_scheduled');
    const stub = ledgerStub(ws.workspaceId);
    let at = Date.parse(warning!.data.predictedAt);
    for (let i = 0; i < 5 && (await alertCounts(ws.workspaceId))['balance.depleted'] === 0; i++, at += 1_000) await stub.checkBalance(ws.workspaceId, at);
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'instance.termination_scheduled': 1, 'instance.termination_cancelled': 0, 'balance.depleted': 1 });
    expect((await eventsOf(ws.workspaceId, 'instance.terminated')).map((e) => e.data.instanceId)).toEqual([inst.id]);
    // A deposit now recovers the balance; nothing was scheduled any more, so nothing is cancelled.
    await grant(ws.workspaceId, CREDIT);
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'balance.recovered': 1, 'instance.termination_cancelled': 0 });
  });

  it('with terminationWarningMinutes 0 nothing is sent', async () => {
    const ws = await createWorkspace('No warning');
    await grant(ws.workspaceId, CREDIT);
    await putAlerts(ws.adminKey, { thresholds: [], terminationWarningMinutes: 0 });
    await startOk(ws.workspaceId, 'gpu-a100');
    expect(await alertCounts(ws.workspaceId)).toMatchObject({ 'instance.termination_scheduled': 0 });
    expect(await alertAtOf(ws.workspaceId)).toBeNull();
  });
});
