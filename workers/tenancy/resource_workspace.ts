import { eq } from 'drizzle-orm';
import { resourceOwners } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { directoryDb } from '../storage/databases';

/**
 * Claims a resource id for the workspace in the directory, before its ledger object starts the
 * resource (in the workspace's shard). Resource ids are unique across workspaces, and shards cannot
 * see each other's: the same id with another workspace is a 409, as the same id with another body.
 */
export async function claimResourceId(env: Env, resourceId: string, workspaceId: string): Promise<void> {
  const db = directoryDb(env);
  await db.insert(resourceOwners).values({ resourceId, workspaceId, claimedAtMs: Date.now() }).onConflictDoNothing();
  const owner = await db.select({ workspaceId: resourceOwners.workspaceId }).from(resourceOwners).where(eq(resourceOwners.resourceId, resourceId)).get();
  if (owner?.workspaceId !== workspaceId) {
    throw new ApiError('idempotency_conflict', `The resource id "${resourceId}" was already used with a different request.`);
  }
}

/** The workspace a metered resource belongs to (its ledger is the one to ask), or 404. */
export async function resourceWorkspaceId(env: Env, resourceId: string): Promise<string> {
  const row = await directoryDb(env).select({ workspaceId: resourceOwners.workspaceId }).from(resourceOwners).where(eq(resourceOwners.resourceId, resourceId)).get();
  if (!row) throw new ApiError('not_found', 'No such resource.');
  return row.workspaceId;
}
