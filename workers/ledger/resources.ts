// Metered resources: instances and volumes accrue from their start until they stop.
import { and, eq, isNull } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { resourceIntervals, resources } from '../../schema/tables';
import { canonicalJson, sha256Hex } from '../lib/crypto';
import { isDuplicateResourceId } from '../lib/d1_errors';
import { notFound, refreshPrices, spendableMicros, type LedgerContext } from './ledger_context';
import type { LedgerResult } from './ledger_result';
import { toResourceView, type ResourceView, type StartResourceInput } from './resource_view';

function findResource(db: DrizzleD1Database, id: string) {
  return db.select().from(resources).where(eq(resources.id, id)).get();
}

function replayResource(row: typeof resources.$inferSelect, requestHash: string): LedgerResult<ResourceView> {
  if (row.requestHash !== requestHash) {
    return { ok: false, code: 'idempotency_conflict', message: `The resource id "${row.id}" was already used with a different request.` };
  }
  return { ok: true, replayed: true, value: toResourceView(row) };
}

/** WorkspaceLedger.startResource, in its queue turn. */
export async function startResourceNow(ledger: LedgerContext, input: StartResourceInput): Promise<LedgerResult<ResourceView>> {
  const state = await ledger.load(input.workspaceId);
  if (!state) return notFound;
  await refreshPrices(ledger.env, state);
  const requestHash = await sha256Hex(canonicalJson({ ...input, startedAtMs: input.startedAtMs ?? null }));
  const nowMs = Date.now();
  // Metering starts no later than now: a start reported a little ahead (the platform's clock)
  // must still be watched by the zero-balance alarm, which looks at what runs now.
  const startedAtMs = Math.min(Math.max(input.startedAtMs ?? nowMs, state.open.settledThroughMs), nowMs);
  const earlier = await findResource(ledger.db, input.id);
  if (earlier) return replayResource(earlier, requestHash);
  if (input.kind === 'instance' && !state.book.at(startedAtMs).instanceTypes.has(input.instanceType ?? '')) {
    return { ok: false, code: 'invalid_request', message: `instanceType: unknown instance type "${input.instanceType}".` };
  }
  // Nothing new starts metering on an empty balance: it would be terminated at once.
  if (spendableMicros(state, nowMs) <= 0) {
    return { ok: false, code: 'insufficient_credits', message: `The workspace has no credits left to start ${input.kind === 'instance' ? 'an instance' : 'a volume'}.` };
  }
  const row = {
    id: input.id,
    workspaceId: input.workspaceId,
    memberId: input.memberId ?? '',
    kind: input.kind,
    instanceType: input.kind === 'instance' ? (input.instanceType ?? null) : null,
    sizeBytes: input.kind === 'volume' ? (input.sizeBytes ?? 0) : null,
    requestHash,
    startedAtMs,
    stoppedAtMs: null,
    stopReason: null,
    createdAtMs: nowMs,
  };
  try {
    await ledger.db.batch([
      ledger.db.insert(resources).values(row),
      ledger.db.insert(resourceIntervals).values({
        resourceId: row.id,
        workspaceId: row.workspaceId,
        startedAtMs,
        stoppedAtMs: null,
        instanceType: row.instanceType,
        sizeBytes: row.sizeBytes,
      }),
    ]);
  } catch (error) {
    const earlier = isDuplicateResourceId(error) ? await findResource(ledger.db, input.id) : undefined;
    if (earlier) return replayResource(earlier, requestHash);
    throw error;
  }
  state.open.intervals.push({ resourceId: row.id, memberId: row.memberId, kind: row.kind, instanceType: row.instanceType, sizeBytes: row.sizeBytes, startedAtMs, stoppedAtMs: null });
  return { ok: true, replayed: false, value: toResourceView(row) };
}

/** The workspace's state (prices fresh) and one of its resources; another workspace's is not found. */
async function loadOwnResource(ledger: LedgerContext, workspaceId: string, resourceId: string) {
  const state = await ledger.load(workspaceId);
  if (!state) return notFound;
  await refreshPrices(ledger.env, state);
  const resource = await findResource(ledger.db, resourceId);
  if (!resource || resource.workspaceId !== workspaceId) return { ok: false, code: 'not_found', message: 'No such resource.' } as const;
  return { ok: true, state, resource } as const;
}

/** WorkspaceLedger.stopResource, in its queue turn. */
export async function stopResourceNow(
  ledger: LedgerContext,
  workspaceId: string,
  resourceId: string,
  stoppedAtMs: number | null,
  reason: string,
): Promise<LedgerResult<ResourceView>> {
  const found = await loadOwnResource(ledger, workspaceId, resourceId);
  if (!found.ok) return found;
  const { state, resource } = found;
  if (resource.stoppedAtMs !== null) return { ok: true, replayed: true, value: toResourceView(resource) };
  // A stop can't precede the start, can't reopen a settled hour, and can't be in the future.
  const at = Math.min(Math.max(stoppedAtMs ?? Date.now(), resource.startedAtMs, state.open.settledThroughMs), Date.now());
  await ledger.db.batch([
    ledger.db.update(resources).set({ stoppedAtMs: at, stopReason: reason }).where(and(eq(resources.id, resourceId), isNull(resources.stoppedAtMs))),
    ledger.db
      .update(resourceIntervals)
      .set({ stoppedAtMs: at })
      .where(and(eq(resourceIntervals.resourceId, resourceId), isNull(resourceIntervals.stoppedAtMs))),
  ]);
  for (const iv of state.open.intervals) if (iv.resourceId === resourceId && iv.stoppedAtMs === null) iv.stoppedAtMs = at;
  return { ok: true, replayed: false, value: toResourceView({ ...resource, stoppedAtMs: at, stopReason: reason }) };
}

/** WorkspaceLedger.resizeVolume, in its queue turn. */
export async function resizeVolumeNow(
  ledger: LedgerContext,
  workspaceId: string,
  resourceId: string,
  sizeBytes: number,
  atMs: number | null,
): Promise<LedgerResult<ResourceView>> {
  const found = await loadOwnResource(ledger, workspaceId, resourceId);
  if (!found.ok) return found;
  const { state, resource } = found;
  if (resource.kind !== 'volume') return { ok: false, code: 'invalid_request', message: 'sizeBytes: only a volume can be resized.' };
  if (resource.stoppedAtMs !== null) return { ok: false, code: 'invalid_request', message: 'The volume is no longer metered.' };
  if (resource.sizeBytes === sizeBytes) return { ok: true, replayed: true, value: toResourceView(resource) };
  if (state.flags.storageSuspendedAtMs !== null) {
    // Suspended storage is not metered; the new size applies from the restore on.
    await ledger.db.update(resources).set({ sizeBytes }).where(eq(resources.id, resourceId));
    return { ok: true, replayed: false, value: toResourceView({ ...resource, sizeBytes }) };
  }
  const current = state.open.intervals.find((iv) => iv.resourceId === resourceId && iv.stoppedAtMs === null);
  const at = Math.min(Math.max(atMs ?? Date.now(), current?.startedAtMs ?? resource.startedAtMs, state.open.settledThroughMs), Date.now());
  await ledger.db.batch([
    ledger.db.update(resources).set({ sizeBytes }).where(eq(resources.id, resourceId)),
    ledger.db
      .update(resourceIntervals)
      .set({ stoppedAtMs: at })
      .where(and(eq(resourceIntervals.resourceId, resourceId), isNull(resourceIntervals.stoppedAtMs))),
    // Same start as the closed one (a resize at the very instant it began) replaces it.
    ledger.db
      .insert(resourceIntervals)
      .values({ resourceId, workspaceId, startedAtMs: at, stoppedAtMs: null, instanceType: null, sizeBytes })
      .onConflictDoUpdate({ target: [resourceIntervals.resourceId, resourceIntervals.startedAtMs], set: { stoppedAtMs: null, sizeBytes } }),
  ]);
  state.open.intervals = state.open.intervals.filter((iv) => !(iv.resourceId === resourceId && iv.startedAtMs === at));
  for (const iv of state.open.intervals) if (iv.resourceId === resourceId && iv.stoppedAtMs === null) iv.stoppedAtMs = at;
  state.open.intervals.push({ resourceId, memberId: resource.memberId, kind: 'volume', instanceType: null, sizeBytes, startedAtMs: at, stoppedAtMs: null });
  return { ok: true, replayed: false, value: toResourceView({ ...resource, sizeBytes }) };
}
