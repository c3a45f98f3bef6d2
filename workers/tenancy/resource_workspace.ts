import { eq } from 'drizzle-orm';
import { resources } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { allShards } from '../storage/databases';

/**
 * The workspace a metered resource belongs to (its ledger is the one to ask), or 404. Resource ids
 * are the platform's own, so the resource is looked for in every shard at once (a point lookup by
 * primary key in each).
 */
export async function resourceWorkspaceId(env: Env, resourceId: string): Promise<string> {
  const found = await Promise.all(
    allShards(env).map(({ db }) => db.select({ workspaceId: resources.workspaceId }).from(resources).where(eq(resources.id, resourceId)).get()),
  );
  const row = found.find((r) => r !== undefined);
  if (!row) throw new ApiError('not_found', 'No such resource.');
  return row.workspaceId;
}
