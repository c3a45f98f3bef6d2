import { and, eq } from 'drizzle-orm';
import { members, workspaces } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { directoryDb } from '../storage/databases';

export async function assertWorkspaceExists(env: Env, workspaceId: string): Promise<void> {
  const row = await directoryDb(env).select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
  if (!row) throw new ApiError('not_found', 'No such workspace.');
}

/** A member of this workspace, or 404 (a member of another workspace is not revealed). */
export async function assertMemberInWorkspace(env: Env, workspaceId: string, memberId: string): Promise<void> {
  const row = await directoryDb(env)
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.id, memberId), eq(members.workspaceId, workspaceId)))
    .get();
  if (!row) throw new ApiError('not_found', 'No such member in this workspace.');
}
