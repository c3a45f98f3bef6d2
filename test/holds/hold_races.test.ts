// A hold ends in exactly one state, with at most one transaction, whatever races it: capture against
// expiry (the object's alarm), capture against release, and an eviction between hold and capture.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createWorkspace, grant, unique } from '../helpers/fixtures';
import { ledgerStub } from '../helpers/ledger_checks';
import { completedSum, ledgerRows } from '../ledger/ledger_helpers';
import { captureHold, createHold, CREDIT, credits, listHolds, releaseHold } from './holds_helpers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The capture entries of a hold in D1 (its key is the ledger's own, see holds/hold_keys.ts). */
async function captureEntries(workspaceId: string, holdId: string) {
  return (await ledgerRows(workspaceId)).filter((r) => r.idempotency_key === `caller:hold:${holdId}`);
}

describe('hold races', () => {
  it('an expired hold is released by the alarm within 60 s of expiresAt, and is still capturable once', async () => {
    const ws = await createWorkspace('Hold expiry');
    await grant(ws.workspaceId, 5 * CREDIT);
    const hold = await createHold({ workspaceId: ws.workspaceId, amountMicros: 2 * CREDIT, ttlSeconds: 1 });
    expect(hold.status).toBe(201);
    // The object's alarm is armed no later than the expiry.
    const alarmAtMs = await runInDurableObject(ledgerStub(ws.workspaceId), (_instance, state) => state.storage.getAlarm());
    expect(alarmAtMs).not.toBeNull();
    expect(alarmAtMs!).toBeLessThanOrEqual(Date.parse(hold.body.expiresAt));

    await sleep(1_100);
    // The alarm fires by itself at its time (or is run now, if it has not yet): no call touches the hold first.
    await runDurableObjectAlarm(ledgerStub(ws.workspaceId));
    const stored = await runInDurableObject(ledgerStub(ws.workspaceId), (_instance, state) =>
      state.storage.sql.exec<{ status: string; closed: number }>('SELECT status, closed_at_ms AS closed FROM holds WHERE id = ?', hold.body.id).one(),
    );
    expect(stored.status).toBe('expired');
    expect(stored.closed - Date.parse(hold.body.expiresAt)).toBeLessThan(60_000);
    expect((await listHolds(ws.workspaceId)).body.data).toEqual([]);
    expect((await credits(ws.adminKey)).body).toMatchObject({ balanceMicros: 5 * CREDIT, heldMicros: 0 });
    const asItStands = await releaseHold(hold.body.id);
    expect(asItStands.body.hold.status).toBe('expired');

    // The work was done: the expired hold is captured (once).
    const captured = await captureHold(hold.body.id, 1_500_000);
    expect(captured.status).toBe(200);
    expect(captured.body.hold).toMatchObject({ status: 'captured', capturedMicros: 1_500_000 });
    expect((await captureHold(hold.body.id, 1_500_000)).body.transaction.id).toBe(captured.body.transaction.id);
    expect(await captureEntries(ws.workspaceId, hold.body.id)).toHaveLength(1);
    expect(await completedSum(ws.workspaceId)).toBe(3_500_000);
  });

  it('capture racing expiry: each hold is captured exactly once', async () => {
    const ws = await createWorkspace('Capture vs expiry');
    await grant(ws.workspaceId, 20 * CREDIT);
    const holds = await Promise.all(Array.from({ length: 10 }, (_, i) => createHold({ workspaceId: ws.workspaceId, id: unique(`exp-${i}`), amountMicros: CREDIT, ttlSeconds: 1 })));
    for (const h of holds) expect(h.status).toBe(201);
    await sleep(950);
    const stub = ledgerStub(ws.workspaceId);
    // Captures straddle the expiry and the alarm that acts on it.
    const results = await Promise.all([
      ...holds.map(async (h, i) => {
        await sleep(i * 20);
        return captureHold(h.body.id, 700_000);
      }),
      (async () => {
        await sleep(100);
        return runDurableObjectAlarm(stub);
      })(),
    ]);
    for (const r of results.slice(0, holds.length) as Awaited<ReturnType<typeof captureHold>>[]) {
      expect(r.status).toBe(200);
      expect(r.body.hold.status).toBe('captured');
    }
    await runDurableObjectAlarm(stub);
    for (const h of holds) {
      expect(await captureEntries(ws.workspaceId, h.body.id)).toHaveLength(1);
      expect((await releaseHold(h.body.id)).body.error.code).toBe('hold_closed');
    }
    expect((await listHolds(ws.workspaceId)).body.data).toEqual([]);
    expect(await completedSum(ws.workspaceId)).toBe(20 * CREDIT - 10 * 700_000);
    expect((await credits(ws.adminKey)).body.heldMicros).toBe(0);
  });

  it('capture racing release: exactly one of the two wins for each hold, with a transaction only for a capture', async () => {
    const ws = await createWorkspace('Capture vs release');
    await grant(ws.workspaceId, 30 * CREDIT);
    const holds = await Promise.all(Array.from({ length: 20 }, (_, i) => createHold({ workspaceId: ws.workspaceId, id: unique(`cr-${i}`), amountMicros: CREDIT })));
    const pairs = await Promise.all(holds.map((h, i) => Promise.all(i % 2 ? [captureHold(h.body.id, 600_000), releaseHold(h.body.id)] : [releaseHold(h.body.id), captureHold(h.body.id, 600_000)])));
    let capturedCount = 0;
    for (const [i, pair] of pairs.entries()) {
      const [capture, release] = i % 2 ? pair : [pair[1]!, pair[0]!];
      const wins = [capture!.status, release!.status].filter((s) => s === 200);
      expect(wins).toHaveLength(1);
      const loser = capture!.status === 200 ? release! : capture!;
      expect(loser.status).toBe(409);
      expect(loser.body.error.code).toBe('hold_closed');
      const entries = await captureEntries(ws.workspaceId, holds[i]!.body.id);
      if (capture!.status === 200) {
        capturedCount += 1;
        expect(capture!.body.hold.status).toBe('captured');
        expect(entries).toHaveLength(1);
      } else {
        expect(release!.body.hold.status).toBe('released');
        expect(entries).toHaveLength(0);
      }
    }
    expect(await completedSum(ws.workspaceId)).toBe(30 * CREDIT - capturedCount * 600_000);
    expect((await listHolds(ws.workspaceId)).body.data).toEqual([]);
  });

  it('an eviction between a hold and its capture: the capture finds the hold, charges once, and replays after another eviction', async () => {
    const ws = await createWorkspace('Evicted between');
    await grant(ws.workspaceId, 4 * CREDIT);
    const stub = ledgerStub(ws.workspaceId);
    const hold = await createHold({ workspaceId: ws.workspaceId, amountMicros: 3 * CREDIT });
    await evictDurableObject(stub);
    // Still reserved after the eviction.
    expect((await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT + 1 })).status).toBe(402);
    const first = await captureHold(hold.body.id, 2 * CREDIT);
    expect(first.status).toBe(200);
    await evictDurableObject(stub);
    const again = await captureHold(hold.body.id, 2 * CREDIT);
    expect(again.body).toEqual(first.body);
    expect((await captureHold(hold.body.id, CREDIT)).body.error.code).toBe('idempotency_conflict');
    expect(await captureEntries(ws.workspaceId, hold.body.id)).toHaveLength(1);
    expect((await listHolds(ws.workspaceId)).body.data).toEqual([]);
    expect(await completedSum(ws.workspaceId)).toBe(2 * CREDIT);
    expect((await credits(ws.adminKey)).body).toMatchObject({ balanceMicros: 2 * CREDIT, heldMicros: 0 });
  });
});
