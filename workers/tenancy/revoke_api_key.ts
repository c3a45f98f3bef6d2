import { and, eq, isNull } from 'drizzle-orm';
import { apiKeys } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { iso } from '../lib/time';
import { directoryDb } from '../storage/databases';

/** Revokes a key of the workspace at once; revoking again answers the first revocation's time. Another workspace's key is 404. */
export async function revokeApiKey(env: Env, workspaceId: string, keyId: string) {
  const db = directoryDb(env);
  const scoped = and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId));
  // First revocation wins; later ones report the original revocation time.
  await db.update(apiKeys).set({ revokedAtMs: Date.now() }).where(and(scoped, isNull(apiKeys.revokedAtMs)));
  const key = await db.select().from(apiKeys).where(scoped).get();
  if (!key) throw new ApiError('not_found', 'No such API key in this workspace.');
  return { id: key.id, prefix: key.prefix, memberId: key.memberId, revokedAt: iso(key.revokedAtMs ?? Date.now()) };
}
