import { drizzle } from 'drizzle-orm/d1';
import { apiKeys, balances, members, workspaces } from '../../schema/tables';
import { mintApiKey } from '../auth/api_keys';
import type { Env } from '../env';
import { idempotentCreate } from '../lib/idempotent_create';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';

export interface CreateWorkspaceRequest {
  name: string;
  admin: { name: string; email: string };
}

/**
 * Creates a workspace (balance 0) with its first admin and that admin's API key, idempotent by `key`:
 * a replay answers the original body (with the same key), another request under the key is 409.
 */
export async function createWorkspace(env: Env, key: string | undefined, request: CreateWorkspaceRequest) {
  const result = await idempotentCreate(env, 'workspaces', key, request, async () => {
    const nowMs = Date.now();
    const workspaceId = newId('ws', nowMs);
    const memberId = newId('mem', nowMs);
    const minted = await mintApiKey();
    const db = drizzle(env.DB);
    return {
      status: 201,
      body: {
        workspace: { id: workspaceId, name: request.name, createdAt: iso(nowMs) },
        member: { id: memberId, workspaceId, name: request.admin.name, email: request.admin.email, role: 'admin' as const, createdAt: iso(nowMs) },
        apiKey: minted.plaintext,
      },
      statements: [
        db.insert(workspaces).values({ id: workspaceId, name: request.name, createdAtMs: nowMs }),
        db.insert(members).values({ id: memberId, workspaceId, name: request.admin.name, email: request.admin.email, role: 'admin', createdAtMs: nowMs }),
        db.insert(apiKeys).values({ id: newId('key', nowMs), workspaceId, memberId, keyHash: minted.keyHash, prefix: minted.prefix, createdAtMs: nowMs }),
        db.insert(balances).values({ workspaceId, balanceMicros: 0, updatedAtMs: nowMs }),
      ],
    };
  });
  return result.body;
}
