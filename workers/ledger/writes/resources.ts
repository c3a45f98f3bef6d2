// Metered resources: instances and volumes accrue from their start until they stop. Starts, stops
// and resizes are writes of the object's group commit (group_commit.ts).
import { and, eq, isNull } from 'drizzle-orm';
import { resourceIntervals, resources } from '../../../schema/tables';
import { canonicalJson, sha256Hex } from '../../lib/crypto';
import type { GroupBatch } from './group_batch';
import type { GroupWrite } from './group_commit';
import type { GroupView, ResourceRow } from './group_view';
import type { LedgerResult } from '../ledger_result';
import { toResourceView, type ResourceView, type StartResourceInput } from '../resource_view';

function replayResource(row: ResourceRow, requestHash: string): LedgerResult<ResourceView> {
  if (row.requestHash !== requestHash) {
    return { ok: false, code: 'idempotency_conflict', message: `The resource id "${row.id}" was already used with a different request.` };
  }
  return { ok: true, replayed: true, value: toResourceView(row) };
}

const answer = (result: LedgerResult<ResourceView>) => () => result;
const noSuchResource = answer({ ok: false, code: 'not_found', message: 'No such resource.' });

/** One of the workspace's resources as the group sees it; another workspace's is not found. */
function ownResource(view: GroupView, workspaceId: string, resourceId: string): ResourceRow | null {
  const row = view.resources.get(resourceId);
  return row && row.workspaceId === workspaceId ? row : null;
}

/** A write on an existing resource: reads it first, on current prices (as every resource write). */
abstract class ResourceWrite implements GroupWrite<ResourceView> {
  readonly reads: { resourceIds: string[] };
  readonly freshPrices = true;

  constructor(
    readonly workspaceId: string,
    protected readonly resourceId: string,
  ) {
    this.reads = { resourceIds: [resourceId] };
  }

  abstract decide(view: GroupView, batch: GroupBatch): () => LedgerResult<ResourceView>;
}

/** WorkspaceLedger.startResource. */
export class StartResourceWrite extends ResourceWrite {
  private requestHash = '';

  constructor(private readonly input: StartResourceInput) {
    super(input.workspaceId, input.id);
  }

  async prepare() {
    this.requestHash = await sha256Hex(canonicalJson({ ...this.input, startedAtMs: this.input.startedAtMs ?? null }));
  }

  decide(view: GroupView, batch: GroupBatch) {
    const { input, requestHash } = this;
    const nowMs = view.nowMs;
    // Metering starts no later than now: a start reported a little ahead (the platform's clock)
    // must still be watched by the zero-balance alarm, which looks at what runs now.
    const startedAtMs = Math.min(Math.max(input.startedAtMs ?? nowMs, view.state.open.settledThroughMs), nowMs);
    const earlier = view.resources.get(input.id);
    if (earlier) return answer(replayResource(earlier, requestHash));
    if (input.kind === 'instance' && !view.state.book.at(startedAtMs).instanceTypes.has(input.instanceType ?? '')) {
      return answer({ ok: false, code: 'invalid_request', message: `instanceType: unknown instance type "${input.instanceType}".` });
    }
    // Nothing new starts metering on an empty balance: it would be terminated at once.
    if (view.spendableMicros() <= 0) {
      return answer({ ok: false, code: 'insufficient_credits', message: `The workspace has no credits left to start ${input.kind === 'instance' ? 'an instance' : 'a volume'}.` });
    }
    const row: ResourceRow = {
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
    const interval = { resourceId: row.id, memberId: row.memberId, kind: row.kind, instanceType: row.instanceType, sizeBytes: row.sizeBytes, startedAtMs, stoppedAtMs: null };
    batch.add(batch.db.insert(resources).values(row));
    batch.add(batch.db.insert(resourceIntervals).values({ ...interval, workspaceId: row.workspaceId }));
    view.resources.set(row.id, row);
    view.addInterval(interval);
    return answer({ ok: true, replayed: false, value: toResourceView(row) });
  }
}

/** WorkspaceLedger.stopResource: stopping a stopped resource answers it as it is. */
export class StopResourceWrite extends ResourceWrite {
  constructor(
    workspaceId: string,
    resourceId: string,
    private readonly stoppedAtMs: number | null,
    private readonly reason: string,
  ) {
    super(workspaceId, resourceId);
  }

  decide(view: GroupView, batch: GroupBatch) {
    const resource = ownResource(view, this.workspaceId, this.resourceId);
    if (!resource) return noSuchResource;
    if (resource.stoppedAtMs !== null) return answer({ ok: true, replayed: true, value: toResourceView(resource) });
    // A stop can't precede the start, can't reopen a settled hour, and can't be in the future.
    const at = Math.min(Math.max(this.stoppedAtMs ?? view.nowMs, resource.startedAtMs, view.state.open.settledThroughMs), view.nowMs);
    batch.add(batch.db.update(resources).set({ stoppedAtMs: at, stopReason: this.reason }).where(and(eq(resources.id, resource.id), isNull(resources.stoppedAtMs))));
    batch.add(
      batch.db
        .update(resourceIntervals)
        .set({ stoppedAtMs: at })
        .where(and(eq(resourceIntervals.resourceId, resource.id), isNull(resourceIntervals.stoppedAtMs))),
    );
    const stopped = { ...resource, stoppedAtMs: at, stopReason: this.reason };
    view.resources.set(resource.id, stopped);
    view.stopIntervals(resource.id, at);
    return answer({ ok: true, replayed: false, value: toResourceView(stopped) });
  }
}

/** WorkspaceLedger.resizeVolume: a new interval from `atMs` on, so time already metered keeps its size. */
export class ResizeVolumeWrite extends ResourceWrite {
  constructor(
    workspaceId: string,
    resourceId: string,
    private readonly sizeBytes: number,
    private readonly atMs: number | null,
  ) {
    super(workspaceId, resourceId);
  }

  decide(view: GroupView, batch: GroupBatch) {
    const { sizeBytes } = this;
    const resource = ownResource(view, this.workspaceId, this.resourceId);
    if (!resource) return noSuchResource;
    if (resource.kind !== 'volume') return answer({ ok: false, code: 'invalid_request', message: 'sizeBytes: only a volume can be resized.' });
    if (resource.stoppedAtMs !== null) return answer({ ok: false, code: 'invalid_request', message: 'The volume is no longer metered.' });
    if (resource.sizeBytes === sizeBytes) return answer({ ok: true, replayed: true, value: toResourceView(resource) });
    const resized = { ...resource, sizeBytes };
    view.resources.set(resource.id, resized);
    const setSize = batch.db.update(resources).set({ sizeBytes }).where(eq(resources.id, resource.id));
    if (view.state.flags.storageSuspendedAtMs !== null) {
      // Suspended storage is not metered; the new size applies from the restore on.
      batch.add(setSize);
      return answer({ ok: true, replayed: false, value: toResourceView(resized) });
    }
    const current = view.openIntervalOf(resource.id);
    const at = Math.min(Math.max(this.atMs ?? view.nowMs, current?.startedAtMs ?? resource.startedAtMs, view.state.open.settledThroughMs), view.nowMs);
    batch.add(setSize);
    batch.add(
      batch.db
        .update(resourceIntervals)
        .set({ stoppedAtMs: at })
        .where(and(eq(resourceIntervals.resourceId, resource.id), isNull(resourceIntervals.stoppedAtMs))),
    );
    // Same start as the closed one (a resize at the very instant it began) replaces it.
    batch.add(
      batch.db
        .insert(resourceIntervals)
        .values({ resourceId: resource.id, workspaceId: this.workspaceId, startedAtMs: at, stoppedAtMs: null, instanceType: null, sizeBytes })
        .onConflictDoUpdate({ target: [resourceIntervals.resourceId, resourceIntervals.startedAtMs], set: { stoppedAtMs: null, sizeBytes } }),
    );
    view.stopIntervals(resource.id, at);
    view.addInterval({ resourceId: resource.id, memberId: resource.memberId, kind: 'volume', instanceType: null, sizeBytes, startedAtMs: at, stoppedAtMs: null });
    return answer({ ok: true, replayed: false, value: toResourceView(resized) });
  }
}
