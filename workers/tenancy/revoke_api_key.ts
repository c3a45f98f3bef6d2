import { and, eq, isNull } from 'drizzle-orm';
import { apiKeys } from '../../schema/tables';
import { endSessionsOfKeyRevokedAt } from '../dashboard/session_store';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { iso } from '../lib/time';
import { directoryDb } from '../storage/databases';

/**
 * Revokes a key of the workspace at once; revoking again answers the first revocation's time.
 * Another workspace's key is 404. The first revocation also signs the key's member out of the
 * dashboard everywhere (sessions signed in with any key, and one-time-link sessions), in the same
 * batch: a key is revoked when it may be in the wrong hands, and so may the member's sessions.
 */
export async function revokeApiKey(env: Env, workspaceId: string, keyId: string) {
  const db = directoryDb(env);
  const scoped = and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId));
  const nowMs = Date.now();
  // First revocation wins; later ones report the original revocation time and end no session.
  await db.batch([
    db.update(apiKeys).set({ revokedAtMs: nowMs }).where(and(scoped, isNull(apiKeys.revokedAtMs))),
    endSessionsOfKeyRevokedAt(env, workspaceId, keyId, nowMs),
  ]);
  const key = await db.select().from(apiKeys).where(scoped).get();
  if (!key) throw new ApiError('not_found', 'No such API key in this workspace.');
  const revokedAtMs = key.revokedAtMs ?? nowMs;
  // Revoked earlier than this call: the answer is the first revocation's, a replay.
  return { value: { id: key.id, prefix: key.prefix, memberId: key.memberId, revokedAt: iso(revokedAtMs) }, replayed: revokedAtMs !== nowMs };
}
