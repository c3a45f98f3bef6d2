import { and, eq, isNull, sql } from 'drizzle-orm';
import { resources, ledgerWorkspaces } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { ledgerDbOf } from '../storage/databases';

/** The bytes of the workspace's running volumes and whether they are accessible (not suspended); an unknown workspace is 404. */
export async function readStorageQuota(env: Env, workspaceId: string) {
  const db = await ledgerDbOf(env, workspaceId);
  const [usage, workspace] = await db.batch([
    db
      .select({ used: sql<number>`COALESCE(SUM(${resources.sizeBytes}), 0)` })
      .from(resources)
      .where(and(eq(resources.workspaceId, workspaceId), eq(resources.kind, 'volume'), isNull(resources.stoppedAtMs))),
    db.select({ suspendedAtMs: ledgerWorkspaces.storageSuspendedAtMs }).from(ledgerWorkspaces).where(eq(ledgerWorkspaces.workspaceId, workspaceId)),
  ]);
  if (!workspace[0]) throw new ApiError('not_found', 'No such workspace.');
  // Volumes are kept while suspended (never deleted); they are only inaccessible.
  return { usedBytes: usage[0]?.used ?? 0, accessible: workspace[0].suspendedAtMs === null };
}
