import { and, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import { apiKeys, dashboardSessions, members, workspaces } from '../../schema/tables';
import type { Env } from '../env';
import { sha256Hex } from '../lib/crypto';
import { directoryDb } from '../storage/databases';
import type { SessionClaims } from './session_cookie';

// The server's side of a dashboard session (schema: dashboard_sessions). The cookie is signed, so
// nobody can forge one; the row is what lets a session end before its cookie expires. Rows are kept
// a day past their expiry (for a look at recent sign-ins), then pruned at the next sign-in.
const KEEP_AFTER_EXPIRY_MS = 24 * 3_600_000;

/** The row's key: a hash of the session id, so that a read of the table signs nobody in. */
export const sessionIdHash = (sid: string) => sha256Hex(sid);

/** Records a new session (before its cookie is set); prunes rows long expired on the way. */
export async function recordSession(env: Env, claims: SessionClaims, nowMs = Date.now()) {
  const db = directoryDb(env);
  await db.batch([
    db.insert(dashboardSessions).values({
      idHash: await sessionIdHash(claims.sid),
      workspaceId: claims.workspaceId,
      memberId: claims.memberId,
      keyId: claims.keyId,
      createdAtMs: nowMs,
      expiresAtMs: claims.expiresAtMs,
    }),
    db.delete(dashboardSessions).where(lt(dashboardSessions.expiresAtMs, nowMs - KEEP_AFTER_EXPIRY_MS)),
  ]);
}

/**
 * The session of these (verified) claims if it is still open: its member's name and role and its
 * workspace's name, or undefined. One query by the row's primary key: the open session row, its
 * member and workspace, and (for an API-key sign-in) the key, still unrevoked.
 */
export async function openSessionRow(env: Env, claims: SessionClaims, nowMs = Date.now()) {
  const openRow = and(
    eq(dashboardSessions.idHash, await sessionIdHash(claims.sid)),
    eq(dashboardSessions.memberId, claims.memberId),
    eq(dashboardSessions.workspaceId, claims.workspaceId),
    isNull(dashboardSessions.endedAtMs),
    gt(dashboardSessions.expiresAtMs, nowMs),
  );
  const select = directoryDb(env)
    .select({ memberName: members.name, role: members.role, workspaceName: workspaces.name })
    .from(dashboardSessions)
    .innerJoin(members, and(eq(members.id, dashboardSessions.memberId), eq(members.workspaceId, dashboardSessions.workspaceId)))
    .innerJoin(workspaces, eq(workspaces.id, members.workspaceId));
  return (claims.keyId
    ? select.innerJoin(apiKeys, and(eq(apiKeys.id, claims.keyId), eq(apiKeys.memberId, members.id), isNull(apiKeys.revokedAtMs))).where(openRow)
    : select.where(openRow)
  ).get();
}

/** Sign-out: ends the session for every copy of its cookie. */
export async function endSessionById(env: Env, sid: string, nowMs = Date.now()) {
  await directoryDb(env)
    .update(dashboardSessions)
    .set({ endedAtMs: nowMs })
    .where(and(eq(dashboardSessions.idHash, await sessionIdHash(sid)), isNull(dashboardSessions.endedAtMs)));
}

/** Ends every open session of a member of the workspace (signed in by key or by link); how many it ended. */
export async function endMemberSessions(env: Env, workspaceId: string, memberId: string, nowMs = Date.now()): Promise<number> {
  const ended = await directoryDb(env)
    .update(dashboardSessions)
    .set({ endedAtMs: nowMs })
    .where(and(eq(dashboardSessions.workspaceId, workspaceId), eq(dashboardSessions.memberId, memberId), isNull(dashboardSessions.endedAtMs)))
    .returning({ idHash: dashboardSessions.idHash });
  return ended.length;
}

/**
 * The statement, for revokeApiKey's batch, that ends every open session of the member whose key
 * was revoked at exactly `revokedAtMs` by that batch. A repeated revocation (which leaves the
 * original time) ends nothing, so it cannot sign the member out of sessions started since.
 */
export function endSessionsOfKeyRevokedAt(env: Env, workspaceId: string, keyId: string, revokedAtMs: number) {
  const db = directoryDb(env);
  const revokedNow = db
    .select({ memberId: apiKeys.memberId })
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.revokedAtMs, revokedAtMs)));
  return db
    .update(dashboardSessions)
    .set({ endedAtMs: revokedAtMs })
    .where(and(eq(dashboardSessions.workspaceId, workspaceId), inArray(dashboardSessions.memberId, revokedNow), isNull(dashboardSessions.endedAtMs)));
}
