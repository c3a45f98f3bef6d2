import { eq } from 'drizzle-orm';
import { grantOwners } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { directoryDb } from '../storage/databases';

/**
 * Claims a grant id for the workspace in the directory, before its ledger object records the grant
 * (in the workspace's shard): a void names only the id. The same id with another workspace is a 409,
 * as the same id with another body.
 */
export async function claimGrantId(env: Env, grantId: string, workspaceId: string): Promise<void> {
  const db = directoryDb(env);
  await db.insert(grantOwners).values({ grantId, workspaceId, claimedAtMs: Date.now() }).onConflictDoNothing();
  const owner = await db.select({ workspaceId: grantOwners.workspaceId }).from(grantOwners).where(eq(grantOwners.grantId, grantId)).get();
  if (owner?.workspaceId !== workspaceId) throw new ApiError('idempotency_conflict', `The id "${grantId}" was already used with a different request.`);
}

/** The workspace a grant id was claimed for (its ledger is the one to ask), or 404. */
export async function grantWorkspaceId(env: Env, grantId: string): Promise<string> {
  const row = await directoryDb(env).select({ workspaceId: grantOwners.workspaceId }).from(grantOwners).where(eq(grantOwners.grantId, grantId)).get();
  if (!row) throw new ApiError('not_found', 'No such grant.');
  return row.workspaceId;
}
