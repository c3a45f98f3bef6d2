import { dashboardLinks } from '../../schema/tables';
import type { Env } from '../env';
import { randomToken, sha256Hex } from '../lib/crypto';
import { idempotentCreate } from '../lib/idempotent_create';
import { iso } from '../lib/time';
import { assertMemberInWorkspace, assertWorkspaceExists } from './workspace_exists';
import { directoryDb } from '../storage/databases';

export interface DashboardLinkRequest {
  memberId: string;
  ttlSeconds: number;
}

/**
 * Mints a one-time dashboard sign-in link for a member of the workspace under `origin`, idempotent by
 * `key` (a replay answers the same link). Only a hash of the token is stored.
 */
export async function createDashboardLink(env: Env, workspaceId: string, origin: string, key: string | undefined, request: DashboardLinkRequest) {
  const ws = workspaceId;
  await assertWorkspaceExists(env, ws);
  const db = directoryDb(env);
  const result = await idempotentCreate(env, `${ws}:dashboard-links`, key, request, async () => {
    await assertMemberInWorkspace(env, ws, request.memberId);
    const nowMs = Date.now();
    const token = randomToken(32);
    const expiresAtMs = nowMs + request.ttlSeconds * 1000;
    return {
      status: 201,
      // The token goes in the fragment, which browsers never send: it reaches no request log.
      body: { url: `${origin}/dashboard/link#${token}`, memberId: request.memberId, expiresAt: iso(expiresAtMs) },
      statements: [
        db.insert(dashboardLinks).values({ tokenHash: await sha256Hex(token), workspaceId: ws, memberId: request.memberId, createdAtMs: nowMs, expiresAtMs }),
      ],
    };
  });
  // The answer, and whether it is the replay of an earlier create (the route marks it).
  return { value: result.body, replayed: result.replayed };
}
