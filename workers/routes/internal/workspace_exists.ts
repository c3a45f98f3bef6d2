import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { workspaces } from '../../../schema/tables';
import type { Env } from '../../env';
import { ApiError } from '../../errors/api_error';

export async function assertWorkspaceExists(env: Env, workspaceId: string): Promise<void> {
  const row = await drizzle(env.DB).select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
  if (!row) throw new ApiError('not_found', 'No such workspace.');
}
