// Settlement by the object that owns the money: each workspace's ledger object arms its one alarm
// for a few minutes after the end of the oldest hour in which it holds anything unsettled, and
// settles every closed hour when it fires. The hourly cron stays as the backstop; alarm, cron and a
// duplicated queue message racing for the same hour bill it once. A workspace with nothing open is
// never woken by settlement, and the cron does not enqueue it.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { settlementDueMs, settlementJitterMs, SETTLEMENT_JITTER_FROM_MS, SETTLEMENT_JITTER_SPAN_MS, SETTLEMENT_MIN_DELAY_MS } from '../../workers/ledger/usage/settlement_alarm';
import { OpenUsage } from '../../workers/usage/open_usage';
import { PriceBook } from '../../workers/usage/pricing';
import { grant, unique } from '../helpers/fixtures';
import { expectInvariant, ledgerStub, shardD1Of } from '../helpers/ledger_checks';
import { deliverSettlement, fireCron, fireDeployedCron, HOUR_MS } from '../helpers/settlement';
import {
  balanceOf,
  chargeEvent,
  CREDIT,
  cronWouldEnqueue,
  currentHour,
  drainQueue,
  entriesForHour,
  fundedWorkspace,
  lineSetsByHour,
  MINUTE_MS,
  recordUsage,
  startInstance,
  toolEvent,
  usageRows,
} from './settlement_helpers';

const JITTER_TO_MS = SETTLEMENT_JITTER_FROM_MS + SETTLEMENT_JITTER_SPAN_MS;
// Once the object projected its journaled entries: until then the alarm is also armed for that.
const alarmOf = async (workspaceId: string) => {
  expect(await ledgerStub(workspaceId).projected()).toMatchObject({ ok: true });
  return runInDurableObject(ledgerStub(workspaceId), (_, state) => state.storage.getAlarm());
};

/**
 * Settlement arms nothing: the alarm left, if any, is the pruning of the stored events when they
 * leave the retention window (35 days), not a wake-up for settlement.
 */
async function expectNoSettlementAlarm(workspaceId: string) {
  const plan = await ledgerStub(workspaceId).checkBalance(workspaceId);
  expect(plan).toMatchObject({ ok: true, value: { settlementAtMs: null, balanceAtMs: null } });
  const alarmAt = await alarmOf(workspaceId);
  if (alarmAt !== null) expect(alarmAt).toBeGreaterThan(Date.now() + 30 * 24 * HOUR_MS);
}

/** Records one charge of `micros` in `hourMs` (10 minutes in) and answers its cost. */
async function chargeIn(workspaceId: string, hourMs: number, micros: number) {
  await recordUsage([chargeEvent(workspaceId, hourMs + 10 * MINUTE_MS, micros)]);
  return micros;
}

/** Exactly one completed usage entry for each hour in `expected`, for its amount, one line set each; balance = 100 credits less their sum. */
async function expectSettledOnce(workspaceId: string, expected: Map<number, number>) {
  const rows = await usageRows(workspaceId);
  expect(rows, 'usage entries').toHaveLength(expected.size);
  const lineSets = await lineSetsByHour(workspaceId);
  let total = 0;
  for (const [hourMs, micros] of expected) {
    const forHour = entriesForHour(rows, hourMs);
    expect(forHour, `entries of ${new Date(hourMs).toISOString()}`).toHaveLength(1);
    expect(forHour[0]!.amount_micros).toBe(-micros);
    expect(lineSets.get(hourMs)).toEqual([forHour[0]!.id]);
    total += micros;
  }
  expect((await balanceOf(workspaceId)).b).toBe(100 * CREDIT - total);
  await expectInvariant(workspaceId);
}

describe('when the settlement alarm is due', () => {
  const book = new PriceBook([
    { version: 1, effectiveFromMs: 0, pricingJson: JSON.stringify({ models: [], instanceTypes: [], storage: { microsPerGbMonth: 0 }, toolExecution: { microsPerExecution: 1_000 } }) },
  ]);
  const rollup = (hourMs: number) => ({ hourMs, memberId: 'm', kind: 'tool' as const, lineKey: 'tools', priceVersion: 1, inputTokens: 0, outputTokens: 0, count: 1, amountMicros: 0, description: null });

  it('is a stable minute of the next hour per workspace, spread over 1–6 minutes', () => {
    const offsets = Array.from({ length: 500 }, (_, i) => settlementJitterMs(`ws_${i}`));
    for (const o of offsets) {
      expect(o).toBeGreaterThanOrEqual(SETTLEMENT_JITTER_FROM_MS);
      expect(o).toBeLessThan(JITTER_TO_MS);
    }
    expect(settlementJitterMs('ws_7')).toBe(offsets[7]);
    // Spread: the 500 workspaces fall in every minute of the window.
    const minutes = new Set(offsets.map((o) => Math.floor(o / MINUTE_MS)));
    expect([...minutes].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('events in hour H: the end of H plus the jitter; never within a minute of now; nothing open: none', () => {
    const H = Date.UTC(2026, 10, 30, 8);
    const open = new OpenUsage(H - 5 * HOUR_MS);
    expect(settlementDueMs(open, 'ws_a', H + 10 * MINUTE_MS)).toBeNull();
    open.addRollup(rollup(H), book);
    expect(settlementDueMs(open, 'ws_a', H + 10 * MINUTE_MS)).toBe(H + HOUR_MS + settlementJitterMs('ws_a'));
    // Reported late, after the hour ended: a minute from now at the soonest.
    const late = H + HOUR_MS + 30 * MINUTE_MS;
    expect(settlementDueMs(open, 'ws_a', late)).toBe(late + SETTLEMENT_MIN_DELAY_MS);
    // The oldest open hour decides; a running interval counts from the settled point.
    const running = new OpenUsage(H);
    running.intervals = [{ resourceId: 'r', memberId: '', kind: 'instance', instanceType: 'cpu-small', sizeBytes: null, startedAtMs: H - 3 * HOUR_MS, stoppedAtMs: null }];
    expect(settlementDueMs(running, 'ws_a', H + 10 * MINUTE_MS)).toBe(H + HOUR_MS + settlementJitterMs('ws_a'));
    running.addRollup(rollup(H + HOUR_MS), book);
    expect(settlementDueMs(running, 'ws_a', H + 10 * MINUTE_MS)).toBe(H + HOUR_MS + settlementJitterMs('ws_a'));
    // An interval that bills nothing (stopped where it started) does not keep the object awake.
    const idle = new OpenUsage(H);
    idle.intervals = [{ resourceId: 'r', memberId: '', kind: 'instance', instanceType: 'cpu-small', sizeBytes: null, startedAtMs: H + 5, stoppedAtMs: H + 5 }];
    expect(settlementDueMs(idle, 'ws_a', H)).toBeNull();
  });
});

describe('the ledger object settles its own closed hours', () => {
  it('events in the open hour arm the alarm for the end of the hour plus the workspace jitter', async () => {
    const ws = await fundedWorkspace('Alarm after the hour');
    const H = currentHour();
    expect(await alarmOf(ws.workspaceId)).toBeNull();
    await recordUsage([toolEvent(ws.workspaceId, Math.min(Date.now(), H + 1_000))]);
    const alarmAt = await alarmOf(ws.workspaceId);
    expect(alarmAt).toBe(H + HOUR_MS + settlementJitterMs(ws.workspaceId));
    expect(alarmAt! - (H + HOUR_MS)).toBeGreaterThanOrEqual(SETTLEMENT_JITTER_FROM_MS);
    expect(alarmAt! - (H + HOUR_MS)).toBeLessThan(JITTER_TO_MS);
    // The alarm run early (before the hour ends) settles nothing and re-arms for the same instant.
    expect(await runDurableObjectAlarm(ledgerStub(ws.workspaceId))).toBe(true);
    expect(await usageRows(ws.workspaceId)).toHaveLength(0);
    expect(await alarmOf(ws.workspaceId)).toBe(alarmAt);
  });

  it('events of a past hour: the alarm settles it exactly once, then nothing is open and no alarm is left', async () => {
    const ws = await fundedWorkspace('Alarm settles');
    const H = currentHour() - HOUR_MS;
    const reportedAtMs = Date.now();
    const expected = new Map([[H, await chargeIn(ws.workspaceId, H, 123_457)]]);
    const alarmAt = (await alarmOf(ws.workspaceId))!;
    // The hour has ended: a minute after the report at the soonest, and no sooner than its own minute.
    expect(alarmAt).toBeGreaterThanOrEqual(reportedAtMs + SETTLEMENT_MIN_DELAY_MS);
    expect(alarmAt).toBeGreaterThanOrEqual(H + HOUR_MS + settlementJitterMs(ws.workspaceId));
    expect(alarmAt).toBeLessThanOrEqual(Math.max(Date.now() + SETTLEMENT_MIN_DELAY_MS, H + HOUR_MS + JITTER_TO_MS));

    expect(await runDurableObjectAlarm(ledgerStub(ws.workspaceId))).toBe(true);
    await expectSettledOnce(ws.workspaceId, expected);
    expect((await balanceOf(ws.workspaceId)).s).toBe(H + HOUR_MS);
    await expectNoSettlementAlarm(ws.workspaceId);
    // Run again (a retried alarm): nothing more.
    await runInDurableObject(ledgerStub(ws.workspaceId), (_, state) => state.storage.setAlarm(Date.now() + 60_000));
    expect(await runDurableObjectAlarm(ledgerStub(ws.workspaceId))).toBe(true);
    await expectSettledOnce(ws.workspaceId, expected);
  });

  it('alarm, cron backstop and a duplicated queue message racing for the same hours bill each once', async () => {
    const ws = await fundedWorkspace('Alarm races cron');
    const now = currentHour();
    const hours = [now - 2 * HOUR_MS, now - HOUR_MS];
    const expected = new Map<number, number>();
    for (const [i, h] of hours.entries()) expected.set(h, await chargeIn(ws.workspaceId, h, 200_000 + i));
    const message = { workspaceId: ws.workspaceId, cutoffMs: now };
    expect(await cronWouldEnqueue(now, [ws.workspaceId])).toEqual([message]);

    const stub = ledgerStub(ws.workspaceId);
    await Promise.all([runDurableObjectAlarm(stub), deliverSettlement([message, message]), fireCron(now), deliverSettlement([message]), runDurableObjectAlarm(stub)]);
    await drainQueue();
    await expectSettledOnce(ws.workspaceId, expected);
    expect(await cronWouldEnqueue(now, [ws.workspaceId])).toEqual([]);
  });

  it('a workspace with nothing open arms no alarm and the cron does not enqueue it', async () => {
    const ws = await fundedWorkspace('Nothing open');
    await grant(ws.workspaceId, 5 * CREDIT);
    expect(await alarmOf(ws.workspaceId)).toBeNull();
    const now = currentHour();
    expect(await cronWouldEnqueue(now + 2 * HOUR_MS, [ws.workspaceId])).toEqual([]);

    // Once its only open hour is settled (here by the cron's queue), the object is left asleep too.
    const used = await fundedWorkspace('Settled, nothing open');
    const expected = new Map([[now - HOUR_MS, await chargeIn(used.workspaceId, now - HOUR_MS, 50_000)]]);
    expect(await alarmOf(used.workspaceId)).not.toBeNull();
    await deliverSettlement(await cronWouldEnqueue(now, [used.workspaceId]));
    await expectSettledOnce(used.workspaceId, expected);
    await expectNoSettlementAlarm(used.workspaceId);
    expect(await cronWouldEnqueue(now + 2 * HOUR_MS, [used.workspaceId])).toEqual([]);
  });

  it('an object killed between the end of the hour and its alarm still settles the hour: the alarm persists', async () => {
    const ws = await fundedWorkspace('Killed before its alarm');
    const H = currentHour() - HOUR_MS;
    const expected = new Map([[H, await chargeIn(ws.workspaceId, H, 77_777)]]);
    const stub = ledgerStub(ws.workspaceId);
    const alarmAt = await alarmOf(ws.workspaceId);
    expect(alarmAt).not.toBeNull();
    // The object dies (evicted: its memory, cached state and schedule are gone); the next call
    // builds a new instance from its storage and D1.
    await evictDurableObject(stub);
    expect(await runInDurableObject(stub, (instance) => (instance as unknown as { state: unknown }).state)).toBeNull();
    expect(await alarmOf(ws.workspaceId)).toBe(alarmAt);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expectSettledOnce(ws.workspaceId, expected);
  });

  it('a settlement that fails on its alarm is retried with backoff, then settles the hour once', async () => {
    const ws = await fundedWorkspace('Alarm fails');
    const H = currentHour() - HOUR_MS;
    const expected = new Map([[H, await chargeIn(ws.workspaceId, H, 27_182)]]);
    const stub = ledgerStub(ws.workspaceId);
    // D1 refuses the hour's usage entry (as an outage would).
    const trigger = `test_fail_${unique('t').replace(/[^A-Za-z0-9]/g, '_')}`;
    await shardD1Of(ws.workspaceId).prepare(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON transactions WHEN NEW.workspace_id = '${ws.workspaceId}'
        BEGIN SELECT RAISE(ABORT, 'injected settlement failure'); END`,
    ).run();
    const retries: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const before = Date.now();
        expect(await runDurableObjectAlarm(stub)).toBe(true);
        const retryAt = (await alarmOf(ws.workspaceId))!;
        retries.push(retryAt - before);
        expect(await usageRows(ws.workspaceId)).toHaveLength(0);
      }
    } finally {
      await shardD1Of(ws.workspaceId).prepare(`DROP TRIGGER IF EXISTS ${trigger}`).run();
    }
    // Backoff of 30 s, 60 s, 120 s; never sooner than a minute from now (the hour is due already).
    expect(retries[0]).toBeGreaterThanOrEqual(SETTLEMENT_MIN_DELAY_MS);
    expect(retries[1]).toBeGreaterThanOrEqual(60_000);
    expect(retries[2]).toBeGreaterThanOrEqual(120_000);
    expect(retries[2]).toBeLessThanOrEqual(130_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expectSettledOnce(ws.workspaceId, expected);
    await expectNoSettlementAlarm(ws.workspaceId);
  });

  it('an object whose alarm is lost is caught by the cron backstop', async () => {
    const ws = await fundedWorkspace('Alarm lost');
    const now = currentHour();
    const expected = new Map([[now - HOUR_MS, await chargeIn(ws.workspaceId, now - HOUR_MS, 31_415)]]);
    const stub = ledgerStub(ws.workspaceId);
    await runInDurableObject(stub, (_, state) => state.storage.deleteAlarm());
    await evictDurableObject(stub);
    const messages = await cronWouldEnqueue(now, [ws.workspaceId]);
    expect(messages).toEqual([{ workspaceId: ws.workspaceId, cutoffMs: now }]);
    await deliverSettlement(messages);
    await expectSettledOnce(ws.workspaceId, expected);
  });

  it('the deployed cron leaves the hour that has just closed to the alarm, and catches a workspace behind on an earlier one', async () => {
    const now = currentHour();
    const onTime = await fundedWorkspace('Cron leaves it to the alarm');
    const expectedOnTime = new Map([[now - HOUR_MS, await chargeIn(onTime.workspaceId, now - HOUR_MS, 27_182)]]);
    const behind = await fundedWorkspace('Alarm missed an hour');
    const expectedBehind = new Map([
      [now - 2 * HOUR_MS, await chargeIn(behind.workspaceId, now - 2 * HOUR_MS, 16_180)],
      [now - HOUR_MS, await chargeIn(behind.workspaceId, now - HOUR_MS, 14_142)],
    ]);
    // The scheduler's run at the top of the hour: only the workspace behind on an earlier hour,
    // asked to settle every closed hour; the other is due on its alarm within minutes.
    expect(await cronWouldEnqueue(now, [onTime.workspaceId, behind.workspaceId], HOUR_MS)).toEqual([{ workspaceId: behind.workspaceId, cutoffMs: now }]);
    await fireDeployedCron(now);
    await drainQueue();
    await expectSettledOnce(behind.workspaceId, expectedBehind);
    expect(await usageRows(onTime.workspaceId)).toHaveLength(0);
    await runDurableObjectAlarm(ledgerStub(onTime.workspaceId));
    await expectSettledOnce(onTime.workspaceId, expectedOnTime);
  });

  it('a running instance keeps the alarm armed hour after hour', async () => {
    const ws = await fundedWorkspace('Running instance');
    const now = currentHour();
    const resourceId = unique('res_alarm');
    // Running since two hours ago (cpu-small: 36,000 micros an hour).
    const started = await startInstance(ws.workspaceId, resourceId, 'cpu-small', now - 2 * HOUR_MS);
    expect(started.status).toBe(201);
    const stub = ledgerStub(ws.workspaceId);
    expect(await alarmOf(ws.workspaceId)).not.toBeNull();

    // The alarm settles the two closed hours and re-arms for the end of the current one.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expectSettledOnce(ws.workspaceId, new Map([[now - 2 * HOUR_MS, 36_000], [now - HOUR_MS, 36_000]]));
    const jitter = settlementJitterMs(ws.workspaceId);
    expect(await alarmOf(ws.workspaceId)).toBe(now + HOUR_MS + jitter);

    // An hour later (simulated: the current hour settled as its alarm will), the next one is armed.
    expect(await stub.settle(ws.workspaceId, now + HOUR_MS)).toMatchObject({ ok: true, value: { settledHours: 1 } });
    const next = await stub.checkBalance(ws.workspaceId, now + HOUR_MS + jitter);
    expect(next).toMatchObject({ ok: true, value: { settlementAtMs: now + 2 * HOUR_MS + jitter } });
    await expectInvariant(ws.workspaceId);
  });
});
