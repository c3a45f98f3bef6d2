// Hourly settlement bills each closed hour of a workspace exactly once, however often and in
// whatever order settlement runs: a cron fired twice, crons or deliveries racing each other, a
// duplicated queue message, a consumer that dies after some workspaces, a failure between two
// hours, an evicted or stale ledger object, and hours skipped by the cron.
import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { readLedgerState } from '../../workers/ledger/object/load_state';
import { EventStore } from '../../workers/ledger/usage/event_store';
import type { SettlementMessage } from '../../workers/env';
import { publicApi } from '../helpers/api';
import { unique, type TestWorkspace } from '../helpers/fixtures';
import { ledgerStub } from '../helpers/ledger_checks';
import { deliverSettlement, fireCron, HOUR_MS, usageEntries, waitForHistory } from '../helpers/settlement';
import {
  balanceOf,
  chargeEvent,
  CREDIT,
  cronWouldEnqueue,
  currentHour,
  drainQueue,
  entriesForHour,
  fundedWorkspace,
  hourLabel,
  lineSetsByHour,
  MINUTE_MS,
  modelEvent,
  postUsage,
  recordUsage,
  snapshot,
  startInstance,
  stopResource,
  toolEvent,
  usageRows,
} from './settlement_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const postUsageOnce = (event: unknown) => postUsage([event]);

/**
 * Records a distinct amount of usage in each hour: `variant + 1 + i` tool executions (1,000 each, a
 * second apart from the start of the hour),
 * one charge of 100,000 + 7·(variant + i) and one gpt-4o call of 1,000 in / 100 out (2,500 + 1,000).
 * Returns hour → its cost in micros.
 */
async function seedHours(workspaceId: string, hours: number[], variant = 0): Promise<Map<number, number>> {
  const expected = new Map<number, number>();
  const events: unknown[] = [];
  hours.forEach((hourMs, i) => {
    const tools = variant + 1 + i;
    for (let t = 0; t < tools; t++) events.push(toolEvent(workspaceId, hourMs + (t + 1) * 1_000));
    const charge = 100_000 + 7 * (variant + i);
    events.push(chargeEvent(workspaceId, hourMs + 30 * MINUTE_MS, charge));
    events.push(modelEvent(workspaceId, hourMs + 59 * MINUTE_MS, 'gpt-4o', 1_000, 100));
    expected.set(hourMs, tools * 1_000 + charge + 3_500);
  });
  await recordUsage(events);
  return expected;
}

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/**
 * The workspace has exactly one completed usage entry per expected hour, for the expected amount,
 * named after its hour, with exactly one set of settlement lines pointing at it, and nothing else.
 */
async function expectBilledOncePerHour(workspaceId: string, expected: Map<number, number>, startingCredits = 100) {
  const rows = await usageRows(workspaceId);
  expect(rows, `usage entries of ${workspaceId}`).toHaveLength(expected.size);
  const lineSets = await lineSetsByHour(workspaceId);
  expect([...lineSets.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [hourMs, cost] of expected) {
    const forHour = entriesForHour(rows, hourMs);
    expect(forHour, `entries for ${hourLabel(hourMs)}`).toHaveLength(1);
    expect(forHour[0]!.amount_micros, `amount for ${hourLabel(hourMs)}`).toBe(-cost);
    expect(forHour[0]!.forgiven_micros).toBe(0);
    expect(lineSets.get(hourMs), `settlement line sets for ${hourLabel(hourMs)}`).toEqual([forHour[0]!.id]);
  }
  const balance = await balanceOf(workspaceId);
  expect(balance.b).toBe(startingCredits * CREDIT - sum(expected));
  // balanceAfter of the last entry is the balance now
  expect(rows[rows.length - 1]!.balance_after_micros).toBe(balance.b);
}

const waitForUsageEntries = (ws: TestWorkspace, n: number) =>
  waitForHistory(ws.adminKey, '?type=usage&status=completed&limit=200', (d) => usageEntries(d).length >= n);

describe('settlement run more than once', () => {
  it('a cron fired twice in a row with the same scheduled time bills each hour once', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Cron twice');
    const expected = await seedHours(ws.workspaceId, [now - 3 * HOUR_MS, now - 2 * HOUR_MS, now - HOUR_MS]);
    const scheduledTime = now + 1_234;

    expect(await cronWouldEnqueue(scheduledTime, [ws.workspaceId])).toEqual([{ workspaceId: ws.workspaceId, cutoffMs: now }]);
    await fireCron(scheduledTime);
    await waitForUsageEntries(ws, 3);
    await expectBilledOncePerHour(ws.workspaceId, expected);
    expect((await balanceOf(ws.workspaceId)).s).toBe(now);
    const settled = await snapshot([ws.workspaceId]);

    // The second run finds nothing to enqueue for this workspace and changes nothing.
    expect(await cronWouldEnqueue(scheduledTime, [ws.workspaceId])).toEqual([]);
    await fireCron(scheduledTime);
    await drainQueue();
    expect(await snapshot([ws.workspaceId])).toEqual(settled);
    await expectBilledOncePerHour(ws.workspaceId, expected);
    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(credits.body).toMatchObject({ balanceMicros: 100 * CREDIT - sum(expected), accumulatingMicros: 0 });
  });

  it('two crons fired concurrently (two messages per workspace) bill each hour once', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Concurrent crons');
    const expected = await seedHours(ws.workspaceId, [now - 2 * HOUR_MS, now - HOUR_MS], 1);

    await Promise.all([fireCron(now + 5), fireCron(now + 5)]);
    await waitForUsageEntries(ws, 2);
    await drainQueue();
    await expectBilledOncePerHour(ws.workspaceId, expected);
    const settled = await snapshot([ws.workspaceId]);

    await Promise.all([fireCron(now + 5), fireCron(now + 5)]);
    await drainQueue();
    expect(await snapshot([ws.workspaceId])).toEqual(settled);
  });

  it('the same message delivered by two concurrent consumer invocations bills each hour once', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Concurrent deliveries');
    const expected = await seedHours(ws.workspaceId, [now - 3 * HOUR_MS, now - HOUR_MS], 2);
    const message: SettlementMessage = { workspaceId: ws.workspaceId, cutoffMs: now };

    const results = await Promise.all([deliverSettlement([message]), deliverSettlement([message])]);
    for (const r of results) {
      expect(r.retryMessages).toEqual([]);
      expect(r.explicitAcks).toHaveLength(1);
    }
    await expectBilledOncePerHour(ws.workspaceId, expected);
  });

  it('concurrent direct settle calls on the ledger object (same and different cutoffs) bill each hour once', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Concurrent settle calls');
    const hours = [now - 3 * HOUR_MS, now - 2 * HOUR_MS, now - HOUR_MS];
    const expected = await seedHours(ws.workspaceId, hours, 3);
    const stub = ledgerStub(ws.workspaceId);

    const results = await Promise.all([
      stub.settle(ws.workspaceId, now),
      stub.settle(ws.workspaceId, now - HOUR_MS),
      stub.settle(ws.workspaceId, now),
      stub.settle(ws.workspaceId, now - 2 * HOUR_MS),
    ]);
    const values = results.map((r) => {
      expect(r.ok).toBe(true);
      return (r as Extract<typeof r, { ok: true }>).value;
    });
    expect(values.reduce((s, v) => s + v.settledHours, 0)).toBe(3);
    expect(values.reduce((s, v) => s + v.chargedMicros, 0)).toBe(sum(expected));
    expect(values.reduce((s, v) => s + v.forgivenMicros, 0)).toBe(0);
    await expectBilledOncePerHour(ws.workspaceId, expected);

    const again = await stub.settle(ws.workspaceId, now);
    expect(again).toMatchObject({ ok: true, value: { settledHours: 0, chargedMicros: 0, forgivenMicros: 0 } });
  });

  it('a message duplicated within one batch and again in a later batch bills each hour once', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Duplicated message');
    const other = await fundedWorkspace('Duplicated message, other workspace');
    const expected = await seedHours(ws.workspaceId, [now - 2 * HOUR_MS, now - HOUR_MS], 4);
    const expectedOther = await seedHours(other.workspaceId, [now - HOUR_MS], 5);
    const message: SettlementMessage = { workspaceId: ws.workspaceId, cutoffMs: now };
    const otherMessage: SettlementMessage = { workspaceId: other.workspaceId, cutoffMs: now };

    const first = await deliverSettlement([message, otherMessage, message, message]);
    expect(first.retryMessages).toEqual([]);
    expect(first.explicitAcks).toHaveLength(4);
    await expectBilledOncePerHour(ws.workspaceId, expected);
    await expectBilledOncePerHour(other.workspaceId, expectedOther);
    const settled = await snapshot([ws.workspaceId, other.workspaceId]);

    const later = await deliverSettlement([message]);
    expect(later.retryMessages).toEqual([]);
    expect(later.explicitAcks).toHaveLength(1);
    const laterBoth = await deliverSettlement([otherMessage, message]);
    expect(laterBoth.explicitAcks).toHaveLength(2);
    expect(await snapshot([ws.workspaceId, other.workspaceId])).toEqual(settled);
  });
});

describe('settlement interrupted, then run again', () => {
  it('a consumer that settled 2 of 6 workspaces and died: the rerun settles the other 4, each hour once', async () => {
    const now = currentHour();
    const hours = [now - 2 * HOUR_MS, now - HOUR_MS];
    const workspaces: TestWorkspace[] = [];
    const expected = new Map<string, Map<number, number>>();
    for (let i = 0; i < 6; i++) {
      const ws = await fundedWorkspace(`Crash rerun ${i}`);
      workspaces.push(ws);
      expected.set(ws.workspaceId, await seedHours(ws.workspaceId, hours, 10 + i));
    }
    const ids = workspaces.map((w) => w.workspaceId);

    // The cron's messages, captured instead of sent: one per workspace, all with the same cutoff.
    const messages = await cronWouldEnqueue(now + 1, ids);
    expect(messages).toEqual([...ids].sort().map((workspaceId) => ({ workspaceId, cutoffMs: now })));

    // Only the first two are processed before the "crash".
    const done = messages.slice(0, 2);
    const partial = await deliverSettlement(done);
    expect(partial.explicitAcks).toHaveLength(2);
    for (const m of done) await expectBilledOncePerHour(m.workspaceId, expected.get(m.workspaceId)!);
    for (const m of messages.slice(2)) expect(await usageRows(m.workspaceId)).toEqual([]);

    // The rerun enqueues only the four unsettled workspaces, and settles them through the real queue.
    expect(await cronWouldEnqueue(now + 1, ids)).toEqual(messages.slice(2));
    await fireCron(now + 1);
    for (const ws of workspaces) await waitForUsageEntries(ws, 2);
    await drainQueue();
    for (const id of ids) await expectBilledOncePerHour(id, expected.get(id)!);
    const settled = await snapshot(ids);

    // Redelivering every original message and firing the cron again changes nothing.
    const redelivered = await deliverSettlement(messages);
    expect(redelivered.retryMessages).toEqual([]);
    expect(redelivered.explicitAcks).toHaveLength(6);
    expect(await cronWouldEnqueue(now + 1, ids)).toEqual([]);
    await fireCron(now + 1);
    await drainQueue();
    expect(await snapshot(ids)).toEqual(settled);
  });

  it('a failure between two hours of one settlement: the message is retried and the rerun bills only the rest', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Failure between hours');
    const hours = [now - 3 * HOUR_MS, now - 2 * HOUR_MS, now - HOUR_MS];
    const expected = await seedHours(ws.workspaceId, hours, 20);
    const message: SettlementMessage = { workspaceId: ws.workspaceId, cutoffMs: now };

    // Inject a failure: writing the second hour's usage entry aborts (as a D1 outage would).
    const trigger = `test_fail_${unique('t').replace(/[^A-Za-z0-9]/g, '_')}`;
    await shardD1Of(ws.workspaceId).prepare(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON transactions
        WHEN NEW.workspace_id = '${ws.workspaceId}' AND NEW.description LIKE '${hourLabel(hours[1]!)}%'
        BEGIN SELECT RAISE(ABORT, 'injected settlement failure'); END`,
    ).run();
    let failed;
    try {
      failed = await deliverSettlement([message]);
    } finally {
      await shardD1Of(ws.workspaceId).prepare(`DROP TRIGGER IF EXISTS ${trigger}`).run();
    }
    expect(failed.explicitAcks).toEqual([]);
    expect(failed.retryMessages).toHaveLength(1);
    // The first hour committed on its own; nothing of the failed hour (or after it) was written.
    const partial = await usageRows(ws.workspaceId);
    expect(partial).toHaveLength(1);
    expect(entriesForHour(partial, hours[0]!)).toHaveLength(1);
    expect([...(await lineSetsByHour(ws.workspaceId)).keys()]).toEqual([hours[0]]);
    expect(await balanceOf(ws.workspaceId)).toEqual({ b: 100 * CREDIT - expected.get(hours[0]!)!, s: hours[1] });

    // The retry settles the two remaining hours and not the first one again.
    const retried = await deliverSettlement([message]);
    expect(retried.retryMessages).toEqual([]);
    expect(retried.explicitAcks).toHaveLength(1);
    await expectBilledOncePerHour(ws.workspaceId, expected);
    const settled = await snapshot([ws.workspaceId]);
    await deliverSettlement([message, message]);
    expect(await snapshot([ws.workspaceId])).toEqual(settled);
  });

  it('a workspace whose ledger cannot load is retried on its own; the rest of the batch is acked and billed once', async () => {
    const now = currentHour();
    const workspaces: TestWorkspace[] = [];
    const expected = new Map<string, Map<number, number>>();
    for (let i = 0; i < 3; i++) {
      const ws = await fundedWorkspace(`Retry alone ${i}`);
      workspaces.push(ws);
      expected.set(ws.workspaceId, await seedHours(ws.workspaceId, [now - 2 * HOUR_MS, now - HOUR_MS], 30 + i));
    }
    const broken = workspaces[1]!.workspaceId;
    const messages = workspaces.map((w) => ({ workspaceId: w.workspaceId, cutoffMs: now }));

    // The broken workspace's balance row disagrees with its ledger: a cold ledger object refuses it.
    await evictDurableObject(ledgerStub(broken));
    const real = (await balanceOf(broken)).b;
    await shardD1Of(broken).prepare('UPDATE balances SET balance_micros = ? WHERE workspace_id = ?').bind(real + 1, broken).run();
    let first;
    try {
      first = await deliverSettlement(messages);
      expect(await usageRows(broken)).toEqual([]);
    } finally {
      await shardD1Of(broken).prepare('UPDATE balances SET balance_micros = ? WHERE workspace_id = ?').bind(real, broken).run();
    }
    expect(first.retryMessages).toHaveLength(1);
    expect(first.retryMessages[0]!.msgId.startsWith('msg-1-')).toBe(true);
    expect(first.explicitAcks).toHaveLength(2);
    for (const i of [0, 2]) await expectBilledOncePerHour(workspaces[i]!.workspaceId, expected.get(workspaces[i]!.workspaceId)!);

    // The retry (once the row is repaired) settles it; the others are untouched.
    const othersBefore = await snapshot([workspaces[0]!.workspaceId, workspaces[2]!.workspaceId]);
    const retry = await deliverSettlement([messages[1]!]);
    expect(retry.explicitAcks).toHaveLength(1);
    await expectBilledOncePerHour(broken, expected.get(broken)!);
    expect(await snapshot([workspaces[0]!.workspaceId, workspaces[2]!.workspaceId])).toEqual(othersBefore);
  });

  it('the ledger object evicted between hours: the next cron settles the remaining hours once', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Evicted between hours');
    const hours = [now - 3 * HOUR_MS, now - 2 * HOUR_MS, now - HOUR_MS];
    const expected = await seedHours(ws.workspaceId, hours, 40);
    const stub = ledgerStub(ws.workspaceId);

    const firstHour = await stub.settle(ws.workspaceId, hours[1]!);
    expect(firstHour).toMatchObject({ ok: true, value: { settledHours: 1, chargedMicros: expected.get(hours[0]!) } });
    await evictDurableObject(stub);

    await fireCron(now);
    await waitForUsageEntries(ws, 3);
    await drainQueue();
    await expectBilledOncePerHour(ws.workspaceId, expected);

    await evictDurableObject(stub);
    const settled = await snapshot([ws.workspaceId]);
    expect(await stub.settle(ws.workspaceId, now)).toMatchObject({ ok: true, value: { settledHours: 0 } });
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: now }]);
    expect(await snapshot([ws.workspaceId])).toEqual(settled);
  });

  it('settlement racing an eviction of the ledger object bills each hour once', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Settle racing eviction');
    const expected = await seedHours(ws.workspaceId, [now - 3 * HOUR_MS, now - 2 * HOUR_MS, now - HOUR_MS], 45);
    const stub = ledgerStub(ws.workspaceId);
    const message = { workspaceId: ws.workspaceId, cutoffMs: now };

    await Promise.all([deliverSettlement([message]), evictDurableObject(stub), deliverSettlement([message])]);
    // Whatever the race did, one more delivery finishes the job and nothing is billed twice.
    await deliverSettlement([message]);
    await expectBilledOncePerHour(ws.workspaceId, expected);
  });

  it('a ledger object whose cache predates a settlement (an overlapping earlier life) does not bill those hours again', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Stale cache');
    const hours = [now - 3 * HOUR_MS, now - 2 * HOUR_MS, now - HOUR_MS];
    const expected = await seedHours(ws.workspaceId, hours, 50);
    const stub = ledgerStub(ws.workspaceId);

    // The state as it was before anything was settled.
    const stale = await runInDurableObject(stub, (_instance, state) => readLedgerState(shardD1Of(ws.workspaceId), env.DB, ws.workspaceId, new EventStore(state.storage)));
    expect(stale!.open.closedHours(now)).toEqual(hours);

    expect(await stub.settle(ws.workspaceId, hours[2]!)).toMatchObject({ ok: true, value: { settledHours: 2 } });
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { state: unknown }).state = stale;
    });

    const result = await stub.settle(ws.workspaceId, now);
    expect(result).toMatchObject({ ok: true, value: { settledHours: 1, chargedMicros: expected.get(hours[2]!) } });
    await expectBilledOncePerHour(ws.workspaceId, expected);
    expect(await balanceOf(ws.workspaceId)).toEqual({ b: 100 * CREDIT - sum(expected), s: now });
  });
});

describe('hours the cron skipped', () => {
  it('the cron at H+3 catches up H, H+1 and H+2: one entry per hour with usage, none for empty hours', async () => {
    const now = currentHour();
    const H = now - 4 * HOUR_MS;

    // Events in H and H+2 (H+1 empty) and in H+3, which is still open for the cron at H+3.
    const events = await fundedWorkspace('Skipped hours, events');
    const expectedEvents = await seedHours(events.workspaceId, [H, H + 2 * HOUR_MS], 60);
    const lateHour = await seedHours(events.workspaceId, [H + 3 * HOUR_MS], 70);

    // An instance running from H+0:30 to H+2:15: runtime in all three hours (cpu-small, 36,000/h).
    const instance = await fundedWorkspace('Skipped hours, instance');
    const resourceId = unique('res_skip');
    expect((await startInstance(instance.workspaceId, resourceId, 'cpu-small', H + 30 * MINUTE_MS)).status).toBe(201);
    expect((await stopResource(resourceId, H + 2 * HOUR_MS + 15 * MINUTE_MS)).status).toBe(200);
    const expectedInstance = new Map([
      [H, 18_000],
      [H + HOUR_MS, 36_000],
      [H + 2 * HOUR_MS, 9_000],
    ]);

    // No cron ran at H+1 or H+2; the one at H+3 settles everything closed by then.
    await fireCron(H + 3 * HOUR_MS);
    await waitForUsageEntries(events, 2);
    await waitForUsageEntries(instance, 3);
    await drainQueue();
    await expectBilledOncePerHour(events.workspaceId, expectedEvents);
    expect(entriesForHour(await usageRows(events.workspaceId), H + HOUR_MS)).toEqual([]);
    await expectBilledOncePerHour(instance.workspaceId, expectedInstance);
    const instanceLines = (await usageRows(instance.workspaceId)).map((r) => r.description);
    for (const d of instanceLines) expect(d).toContain('1 instance');

    // H+3 is still accumulating, then the next cron settles it.
    const open = await publicApi('GET', '/v1/billing/credits', events.adminKey);
    expect(open.body.accumulatingMicros).toBe(sum(lateHour));
    await fireCron(now);
    await waitForUsageEntries(events, 3);
    await drainQueue();
    const all = new Map([...expectedEvents, ...lateHour]);
    await expectBilledOncePerHour(events.workspaceId, all);
    await expectBilledOncePerHour(instance.workspaceId, expectedInstance);
    expect((await publicApi('GET', '/v1/billing/credits', events.adminKey)).body.accumulatingMicros).toBe(0);

    // Rerunning either cron changes nothing.
    const settled = await snapshot([events.workspaceId, instance.workspaceId]);
    await fireCron(H + 3 * HOUR_MS);
    await fireCron(now);
    await deliverSettlement([
      { workspaceId: events.workspaceId, cutoffMs: H + 3 * HOUR_MS },
      { workspaceId: instance.workspaceId, cutoffMs: now },
      { workspaceId: events.workspaceId, cutoffMs: now },
    ]);
    await drainQueue();
    expect(await snapshot([events.workspaceId, instance.workspaceId])).toEqual(settled);
  });

  it('an event reported late for an hour already settled is billed once, in the first open hour; the settled hour is not reopened', async () => {
    const now = currentHour();
    const ws = await fundedWorkspace('Late event');
    const settledHour = now - 3 * HOUR_MS;
    const expected = await seedHours(ws.workspaceId, [settledHour], 80);
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: now - 2 * HOUR_MS }]);
    await expectBilledOncePerHour(ws.workspaceId, expected);
    const settledEntry = (await usageRows(ws.workspaceId))[0]!;

    // Reported now, happened in the settled hour: it lands in the first unsettled hour (now - 2 h).
    const late = chargeEvent(ws.workspaceId, settledHour + 10 * MINUTE_MS, 4_321, unique('late'), 'Late charge');
    expect((await recordUsage([late])).costMicros).toBe(4_321);
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.accumulatingMicros).toBe(4_321);

    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: now }]);
    await expectBilledOncePerHour(ws.workspaceId, new Map([...expected, [now - 2 * HOUR_MS, 4_321]]));
    expect((await usageRows(ws.workspaceId))[0]).toEqual(settledEntry);

    // Resent afterwards: a duplicate, billed nowhere again.
    expect((await postUsageOnce(late)).body).toEqual({ accepted: 0, duplicates: 1, costMicros: 0 });
    const settled = await snapshot([ws.workspaceId]);
    await deliverSettlement([{ workspaceId: ws.workspaceId, cutoffMs: now }]);
    expect(await snapshot([ws.workspaceId])).toEqual(settled);
  });
});
