import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { resources } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';

/** The workspace a metered resource belongs to (its ledger is the one to ask), or 404. */
export async function resourceWorkspaceId(env: Env, resourceId: string): Promise<string> {
  const row = await drizzle(env.DB).select({ workspaceId: resources.workspaceId }).from(resources).where(eq(resources.id, resourceId)).get();
  if (!row) throw new ApiError('not_found', 'No such resource.');
  return row.workspaceId;
}
