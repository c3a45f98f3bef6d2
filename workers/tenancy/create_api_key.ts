import { apiKeys } from '../../schema/tables';
import { mintApiKey } from '../auth/api_keys';
import type { Env } from '../env';
import { idempotentCreate } from '../lib/idempotent_create';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { assertMemberInWorkspace, assertWorkspaceExists } from './workspace_exists';
import { directoryDb } from '../storage/databases';

/** Creates an API key for a member of the workspace, idempotent by `key` (a replay answers the same key). */
export async function createApiKey(env: Env, workspaceId: string, key: string | undefined, memberId: string) {
  const ws = workspaceId;
  await assertWorkspaceExists(env, ws);
  const db = directoryDb(env);
  const result = await idempotentCreate(env, `${ws}:api-keys`, key, { memberId }, async () => {
    await assertMemberInWorkspace(env, ws, memberId);
    const nowMs = Date.now();
    const keyId = newId('key', nowMs);
    const minted = await mintApiKey();
    return {
      status: 201,
      body: { id: keyId, apiKey: minted.plaintext, prefix: minted.prefix, memberId, createdAt: iso(nowMs) },
      statements: [db.insert(apiKeys).values({ id: keyId, workspaceId: ws, memberId, keyHash: minted.keyHash, prefix: minted.prefix, createdAtMs: nowMs })],
    };
  });
  // The answer, and whether it is the replay of an earlier create (the route marks it).
  return { value: result.body, replayed: result.replayed };
}
