import { and, eq, isNull } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { apiKeys, members, workspaces } from '../../schema/tables';
import type { AppEnv, DashboardSession } from '../env';
import { csrfTokenFor, openSession, sealSession, SESSION_COOKIE, SESSION_TTL_MS, type SessionClaims } from './session_cookie';
import { directoryDb } from '../storage/databases';

// The cookie is scoped to /dashboard, HttpOnly (no script reads it), Secure and SameSite=Strict (no
// other site can make the browser send it). Browsers accept Secure cookies on http://localhost and
// http://127.0.0.1, so this holds under `npm start` too.
const COOKIE_OPTIONS = { path: '/dashboard', httpOnly: true, secure: true, sameSite: 'Strict' } as const;

export async function startSession(c: Context<AppEnv>, claims: SessionClaims) {
  setCookie(c, SESSION_COOKIE, await sealSession(c.env, claims), { ...COOKIE_OPTIONS, maxAge: Math.floor(SESSION_TTL_MS / 1000) });
}

export function endSession(c: Context<AppEnv>) {
  deleteCookie(c, SESSION_COOKIE, COOKIE_OPTIONS);
}

/**
 * The signed-in user of this request, or null. The cookie only says who signed in; the member, the
 * role and (for API-key sign-ins) the key's revocation are read from D1 on every request, so a
 * revoked key or a removed member is signed out at once.
 */
export async function loadSession(c: Context<AppEnv>): Promise<DashboardSession | null> {
  const claims = await openSession(c.env, getCookie(c, SESSION_COOKIE));
  if (!claims) return null;
  // One query: the member, its workspace, and (for an API-key sign-in) the key, still unrevoked.
  const memberOfSession = and(eq(members.id, claims.memberId), eq(members.workspaceId, claims.workspaceId));
  const select = directoryDb(c.env)
    .select({ memberName: members.name, role: members.role, workspaceName: workspaces.name })
    .from(members)
    .innerJoin(workspaces, eq(workspaces.id, members.workspaceId));
  const row = await (claims.keyId
    ? select.innerJoin(apiKeys, and(eq(apiKeys.id, claims.keyId), eq(apiKeys.memberId, members.id), isNull(apiKeys.revokedAtMs))).where(memberOfSession)
    : select.where(memberOfSession)
  ).get();
  if (!row) return null;
  return {
    workspaceId: claims.workspaceId,
    memberId: claims.memberId,
    memberName: row.memberName,
    role: row.role,
    workspaceName: row.workspaceName,
    csrfToken: await csrfTokenFor(c.env, claims.sid),
    sid: claims.sid,
  };
}
