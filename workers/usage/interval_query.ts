import { and, eq, type SQL } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { resourceIntervals, resources } from '../../schema/tables';

/**
 * Metered intervals of a workspace joined with their resource (owner and kind), the shape every
 * pricing path takes (IntervalRow); `where` narrows it to the time span the caller needs.
 */
export function selectIntervals(db: DrizzleD1Database, workspaceId: string, where: SQL | undefined) {
  return db
    .select({
      resourceId: resourceIntervals.resourceId,
      memberId: resources.memberId,
      kind: resources.kind,
      instanceType: resourceIntervals.instanceType,
      sizeBytes: resourceIntervals.sizeBytes,
      startedAtMs: resourceIntervals.startedAtMs,
      stoppedAtMs: resourceIntervals.stoppedAtMs,
    })
    .from(resourceIntervals)
    .innerJoin(resources, eq(resources.id, resourceIntervals.resourceId))
    .where(and(eq(resourceIntervals.workspaceId, workspaceId), where));
}
