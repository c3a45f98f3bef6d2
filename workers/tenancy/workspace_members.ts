import { eq } from 'drizzle-orm';
import { members } from '../../schema/tables';
import type { Env } from '../env';
import { directoryDb } from '../storage/databases';

/** Every member of the workspace (id, name, email), in no particular order. */
export async function workspaceMembers(env: Env, workspaceId: string): Promise<Array<{ id: string; name: string; email: string }>> {
  return directoryDb(env).select({ id: members.id, name: members.name, email: members.email }).from(members).where(eq(members.workspaceId, workspaceId)).all();
}
