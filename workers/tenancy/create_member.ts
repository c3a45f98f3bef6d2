import { and, eq } from 'drizzle-orm';
import { apiKeys, members } from '../../schema/tables';
import { mintApiKey } from '../auth/api_keys';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { isDuplicateMemberEmail } from '../lib/d1_errors';
import { idempotentCreate } from '../lib/idempotent_create';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { assertWorkspaceExists } from './workspace_exists';
import { directoryDb } from '../storage/databases';

export interface CreateMemberRequest {
  name: string;
  email: string;
  role: 'admin' | 'member';
}

const emailTaken = () => new ApiError('invalid_request', 'email: a member with this email already exists in the workspace');

/**
 * Adds a member with a first API key, idempotent by `key`; emails are unique per workspace
 * (a second member with the same email is invalid_request). An unknown workspace is 404.
 */
export async function createMember(env: Env, workspaceId: string, key: string | undefined, request: CreateMemberRequest) {
  const ws = workspaceId;
  await assertWorkspaceExists(env, ws);
  const db = directoryDb(env);
  const result = await idempotentCreate(env, `${ws}:members`, key, request, async () => {
    // Checked here for a clear answer; the unique index decides races (see the catch below).
    const taken = await db
      .select({ id: members.id })
      .from(members)
      .where(and(eq(members.workspaceId, ws), eq(members.email, request.email)))
      .get();
    if (taken) throw emailTaken();
    const nowMs = Date.now();
    const memberId = newId('mem', nowMs);
    const minted = await mintApiKey();
    return {
      status: 201,
      body: { member: { id: memberId, workspaceId: ws, name: request.name, email: request.email, role: request.role, createdAt: iso(nowMs) }, apiKey: minted.plaintext },
      statements: [
        db.insert(members).values({ id: memberId, workspaceId: ws, name: request.name, email: request.email, role: request.role, createdAtMs: nowMs }),
        db.insert(apiKeys).values({ id: newId('key', nowMs), workspaceId: ws, memberId, keyHash: minted.keyHash, prefix: minted.prefix, createdAtMs: nowMs }),
      ],
    };
  }).catch((error: unknown) => {
    if (isDuplicateMemberEmail(error)) throw emailTaken();
    throw error;
  });
  // The answer, and whether it is the replay of an earlier create (the route marks it).
  return { value: result.body, replayed: result.replayed };
}
