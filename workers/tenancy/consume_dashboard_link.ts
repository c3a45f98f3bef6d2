import { and, eq, gt, isNull } from 'drizzle-orm';
import { dashboardLinks } from '../../schema/tables';
import type { Env } from '../env';
import { sha256Hex } from '../lib/crypto';
import { directoryDb } from '../storage/databases';

/** Longer than any token we mint (createDashboardLink's 32 random bytes): such a string names no link. */
const MAX_TOKEN_LENGTH = 100;

/**
 * Uses up the one-time sign-in link of this token: its workspace and member, or null when the
 * token names no link, or one already used or expired. One conditional update, so two requests
 * racing with the same token cannot both sign in.
 */
export async function consumeDashboardLink(env: Env, token: string, nowMs = Date.now()): Promise<{ workspaceId: string; memberId: string } | null> {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const [used] = await directoryDb(env)
    .update(dashboardLinks)
    .set({ usedAtMs: nowMs })
    .where(and(eq(dashboardLinks.tokenHash, await sha256Hex(token)), isNull(dashboardLinks.usedAtMs), gt(dashboardLinks.expiresAtMs, nowMs)))
    .returning({ workspaceId: dashboardLinks.workspaceId, memberId: dashboardLinks.memberId });
  return used ?? null;
}
