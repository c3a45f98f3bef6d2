// At zero, volumes become inaccessible (storage-quota accessible:false), stop accruing and are not
// deleted; instances are terminated. A deposit (here a positive adjustment) that lifts the balance
// above zero restores the volumes (metered again from then on); instances stay terminated.
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace, deduct, grant, unique } from '../helpers/fixtures';
import {
  CREDIT,
  creditCheck,
  credits,
  eventCounts,
  eventsOf,
  expectInvariant,
  HOUR_MS,
  intervalsOf,
  ledgerStub,
  resourceRow,
  startInstance,
  startVolume,
  storageQuota,
} from './zero_balance_helpers';
import { shardD1Of } from '../helpers/ledger_checks';

const GB = 1_000_000_000;
const VOLUME_BYTES = 10 * GB;
// 100,000 micros per GB-month (730 h): 10 GB = 1,369.86… per hour, rounded once per hour line.
const VOLUME_PER_HOUR = 1_370;

/** What the ledger object holds as unsettled usage at `atMs` (its in-memory meter). */
const accumulatingAt = (workspaceId: string, atMs: number) =>
  runInDurableObject(ledgerStub(workspaceId), (instance) => {
    const state = (instance as unknown as { state: { open: { accumulatingMicros(ms: number, book: unknown): number }; book: unknown } | null }).state;
    if (!state) throw new Error('ledger object has no state loaded');
    return state.open.accumulatingMicros(atMs, state.book);
  });

const openIntervals = async (workspaceId: string) =>
  (await shardD1Of(workspaceId).prepare('SELECT COUNT(*) AS n FROM resource_intervals WHERE workspace_id = ? AND stopped_at_ms IS NULL').bind(workspaceId).first<{ n: number }>())!.n;

const resourceCount = async (workspaceId: string) =>
  (await shardD1Of(workspaceId).prepare('SELECT COUNT(*) AS n FROM resources WHERE workspace_id = ?').bind(workspaceId).first<{ n: number }>())!.n;

/**
 * Deducts exactly the spendable balance (read just before). Runtime keeps accruing meanwhile, so a
 * read can be a micro stale by the time the deduction lands (402, nothing recorded): read again.
 */
async function deductWholeBalance(workspaceId: string) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { balanceMicros } = await creditCheck(workspaceId, 0);
    expect(balanceMicros).toBeGreaterThan(0);
    const res = await deduct(workspaceId, balanceMicros, unique('drain'), 'Drain to zero');
    if (res.status === 201) return res.body;
    expect(res.status, JSON.stringify(res.body)).toBe(402);
  }
  throw new Error('could not deduct the whole balance in 20 attempts');
}

async function workspaceWithVolumeAndInstance(name: string, micros = 2 * CREDIT) {
  const ws = await createWorkspace(name);
  await grant(ws.workspaceId, micros);
  const volumeId = unique('res_vol');
  const instanceId = unique('res_inst');
  const v = await startVolume(ws.workspaceId, volumeId, VOLUME_BYTES);
  expect(v.status, JSON.stringify(v.body)).toBe(201);
  const i = await startInstance(ws.workspaceId, instanceId, 'cpu-small');
  expect(i.status, JSON.stringify(i.body)).toBe(201);
  return { ...ws, volumeId, instanceId };
}

describe('zero balance suspends storage, a deposit restores it', () => {
  it('suspend (deduction to zero), then deposit, then restore: quota and notifications follow, volumes never deleted', async () => {
    const ws = await workspaceWithVolumeAndInstance('Suspend and restore');
    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES, accessible: true });
    expect(await eventsOf(ws.workspaceId)).toHaveLength(0);

    // --- the balance reaches zero ---------------------------------------------------------------
    const drained = await deductWholeBalance(ws.workspaceId);
    expect(drained.status).toBe('completed');
    expect(await creditCheck(ws.workspaceId, 1)).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });

    // The instance is stopped for a zero balance; the volume is kept (its row still running, its
    // size still counted) but no longer metered.
    const inst = (await resourceRow(ws.instanceId))!;
    expect(inst).toMatchObject({ stop_reason: 'zero_balance' });
    expect(inst.stopped_at_ms).not.toBeNull();
    const suspendedAt = inst.stopped_at_ms!;
    expect(await resourceRow(ws.volumeId)).toMatchObject({ kind: 'volume', size_bytes: VOLUME_BYTES, stopped_at_ms: null, stop_reason: null });
    expect(await resourceCount(ws.workspaceId)).toBe(2);
    expect(await intervalsOf(ws.volumeId)).toMatchObject([{ stopped_at_ms: suspendedAt, size_bytes: VOLUME_BYTES }]);
    expect(await intervalsOf(ws.instanceId)).toMatchObject([{ stopped_at_ms: suspendedAt }]);
    expect(await openIntervals(ws.workspaceId)).toBe(0);

    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES, accessible: false });

    const terminated = await eventsOf(ws.workspaceId, 'instance.terminated');
    expect(terminated).toHaveLength(1);
    expect(terminated[0]!.data).toMatchObject({ instanceId: ws.instanceId, reason: 'zero_balance' });
    const suspended = await eventsOf(ws.workspaceId, 'storage.suspended');
    expect(suspended).toHaveLength(1);
    expect(suspended[0]!.data).toMatchObject({ volumeIds: [ws.volumeId], reason: 'zero_balance' });
    expect(await eventsOf(ws.workspaceId, 'storage.restored')).toHaveLength(0);

    // Storage stops accruing: nothing burns, and a day from now the meter holds what it holds now.
    const idle = await credits(ws.adminKey);
    expect(idle).toMatchObject({ balanceMicros: 0, burnRateMicrosPerHour: 0, hoursRemaining: null });
    const now = Date.now();
    expect(await accumulatingAt(ws.workspaceId, now + 24 * HOUR_MS)).toBe(await accumulatingAt(ws.workspaceId, now));
    expect((await credits(ws.adminKey)).accumulatingMicros).toBe(idle.accumulatingMicros);

    // Nothing new starts while at zero, neither an instance nor a volume.
    expect((await startVolume(ws.workspaceId, unique('res_vol2'), GB)).status).toBe(402);
    expect((await startInstance(ws.workspaceId, unique('res_inst2'), 'cpu-small')).status).toBe(402);

    // --- a deposit lifts the balance above zero -------------------------------------------------
    const deposit = await grant(ws.workspaceId, CREDIT);
    expect(deposit.amountMicros).toBe(CREDIT);

    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES, accessible: true });
    const restored = await eventsOf(ws.workspaceId, 'storage.restored');
    expect(restored).toHaveLength(1);

    // The volume is metered again from the restore on: its old interval closed, a new one open.
    const volIntervals = await intervalsOf(ws.volumeId);
    expect(volIntervals).toHaveLength(2);
    expect(volIntervals[0]).toMatchObject({ stopped_at_ms: suspendedAt });
    expect(volIntervals[1]).toMatchObject({ stopped_at_ms: null, size_bytes: VOLUME_BYTES });
    expect(volIntervals[1]!.started_at_ms).toBeGreaterThanOrEqual(suspendedAt);
    const later = Date.now();
    expect(await accumulatingAt(ws.workspaceId, later + HOUR_MS)).toBeGreaterThan(await accumulatingAt(ws.workspaceId, later));

    // The instance stays terminated (the platform restarts instances, not us).
    expect(await resourceRow(ws.instanceId)).toMatchObject({ stopped_at_ms: suspendedAt, stop_reason: 'zero_balance' });
    expect(await intervalsOf(ws.instanceId)).toHaveLength(1);
    const live = await credits(ws.adminKey);
    expect(live.burnRateMicrosPerHour).toBe(VOLUME_PER_HOUR);
    expect(await creditCheck(ws.workspaceId, 1)).toMatchObject({ allowed: true });

    // Another deposit restores nothing more; each event type was sent once.
    await grant(ws.workspaceId, CREDIT);
    // With the alerts every workspace gets (docs/alerts.md): at zero, and lifted from it.
    expect(await eventCounts(ws.workspaceId)).toEqual({ 'instance.terminated': 1, 'storage.suspended': 1, 'storage.restored': 1, 'balance.depleted': 1, 'balance.recovered': 1 });
    expect(await resourceCount(ws.workspaceId)).toBe(2);
    await expectInvariant(ws.workspaceId);
  });

  it('a usage charge larger than the balance suspends too; suspend/restore can repeat, one event per crossing', async () => {
    const ws = await workspaceWithVolumeAndInstance('Repeated suspension', CREDIT);

    // 1) a charge beyond the balance: spendable 0 the moment it is recorded.
    const usage = await internal('POST', '/internal/v1/usage', {
      events: [{ id: unique('charge'), workspaceId: ws.workspaceId, type: 'charge', amountMicros: 3 * CREDIT, description: 'Big charge' }],
    });
    expect(usage.status, JSON.stringify(usage.body)).toBe(200);
    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES, accessible: false });
    expect(await resourceRow(ws.instanceId)).toMatchObject({ stop_reason: 'zero_balance' });
    expect(await openIntervals(ws.workspaceId)).toBe(0);

    // 2) a deposit that does not cover the open charge leaves the balance at 0: still suspended.
    await grant(ws.workspaceId, CREDIT);
    expect(await creditCheck(ws.workspaceId, 1)).toEqual({ allowed: false, balanceMicros: 0, reason: 'insufficient_credits' });
    expect(await storageQuota(ws.workspaceId)).toMatchObject({ accessible: false });
    expect(await eventsOf(ws.workspaceId, 'storage.restored')).toHaveLength(0);

    // 3) one that does: restored.
    await grant(ws.workspaceId, 2 * CREDIT);
    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES, accessible: true });
    expect(await openIntervals(ws.workspaceId)).toBe(1);

    // 4) to zero again, by a deduction: suspended again, a second storage.suspended, but no second
    // instance.terminated (the instance was already stopped).
    await deductWholeBalance(ws.workspaceId);
    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES, accessible: false });
    expect(await openIntervals(ws.workspaceId)).toBe(0);

    // 5) and restored again.
    await grant(ws.workspaceId, CREDIT);
    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES, accessible: true });

    const counts = await eventCounts(ws.workspaceId);
    expect(counts).toMatchObject({ 'instance.terminated': 1, 'storage.suspended': 2, 'storage.restored': 2 });
    const vol = await intervalsOf(ws.volumeId);
    expect(vol).toHaveLength(3);
    expect(vol.map((iv) => iv.stopped_at_ms === null)).toEqual([false, false, true]);
    expect(await resourceRow(ws.volumeId)).toMatchObject({ stopped_at_ms: null });
    expect(await resourceRow(ws.instanceId)).toMatchObject({ stop_reason: 'zero_balance' });
    await expectInvariant(ws.workspaceId);
  });

  it('changes made while suspended (a resize, a volume deleted) and an evicted ledger object are honoured by the restore', async () => {
    const ws = await workspaceWithVolumeAndInstance('Changes while suspended');
    const second = unique('res_vol_b');
    expect((await startVolume(ws.workspaceId, second, 2 * GB)).status).toBe(201);
    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES + 2 * GB, accessible: true });

    await deductWholeBalance(ws.workspaceId);
    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: VOLUME_BYTES + 2 * GB, accessible: false });
    expect((await eventsOf(ws.workspaceId, 'storage.suspended'))[0]!.data.volumeIds.sort()).toEqual([ws.volumeId, second].sort());

    // While suspended: the platform grows the first volume and deletes the second.
    const resized = await internal('POST', `/internal/v1/resources/${ws.volumeId}/resize`, { sizeBytes: 20 * GB });
    expect(resized.status, JSON.stringify(resized.body)).toBe(200);
    const stopped = await internal('POST', `/internal/v1/resources/${second}/stop`, {});
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: 20 * GB, accessible: false });
    // Still nothing metered.
    expect(await openIntervals(ws.workspaceId)).toBe(0);

    // The ledger object forgets everything in memory; the suspension is known from D1.
    await evictDurableObject(ledgerStub(ws.workspaceId));
    await grant(ws.workspaceId, CREDIT);

    expect(await storageQuota(ws.workspaceId)).toEqual({ usedBytes: 20 * GB, accessible: true });
    expect(await eventsOf(ws.workspaceId, 'storage.restored')).toHaveLength(1);
    // Only the kept volume is metered again, at its new size; the deleted one stays closed.
    const kept = await intervalsOf(ws.volumeId);
    expect(kept.at(-1)).toMatchObject({ stopped_at_ms: null, size_bytes: 20 * GB });
    expect((await intervalsOf(second)).every((iv) => iv.stopped_at_ms !== null)).toBe(true);
    expect(await openIntervals(ws.workspaceId)).toBe(1);
    expect((await credits(ws.adminKey)).burnRateMicrosPerHour).toBe(2_740); // 20 GB: 2,739.73… per hour, rounded
    await expectInvariant(ws.workspaceId);
  });
});
