import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv, DashboardSession } from '../env';
import { csrfTokenFor, openSession, sealSession, SESSION_COOKIE, SESSION_TTL_MS, type SessionClaims } from './session_cookie';
import { endSessionById, openSessionRow, recordSession } from './session_store';

// The cookie is scoped to /dashboard, HttpOnly (no script reads it), Secure and SameSite=Strict (no
// other site can make the browser send it). Browsers accept Secure cookies on http://localhost and
// http://127.0.0.1, so this holds under `npm start` too.
const COOKIE_OPTIONS = { path: '/dashboard', httpOnly: true, secure: true, sameSite: 'Strict' } as const;

/** Records the session's row, then sets its cookie (a cookie without a row would sign nobody in). */
export async function startSession(c: Context<AppEnv>, claims: SessionClaims) {
  await recordSession(c.env, claims);
  setCookie(c, SESSION_COOKIE, await sealSession(c.env, claims), { ...COOKIE_OPTIONS, maxAge: Math.floor(SESSION_TTL_MS / 1000) });
}

/**
 * Sign-out: ends the session of this request's cookie on the server (every copy of the cookie
 * stops working, not only this browser's), then clears the cookie. A cookie that does not verify
 * names no session; it is cleared all the same.
 */
export async function endSession(c: Context<AppEnv>) {
  const claims = await openSession(c.env, getCookie(c, SESSION_COOKIE));
  if (claims) await endSessionById(c.env, claims.sid);
  deleteCookie(c, SESSION_COOKIE, COOKIE_OPTIONS);
}

/**
 * The signed-in user of this request, or null. The cookie only says who signed in; whether its
 * session is still open, the member, the role and (for API-key sign-ins) the key's revocation are
 * read from D1 on every request, in one query by the session row's primary key, so a sign-out, a
 * revoked key, ended sessions or a removed member take effect at once. Not cached: one indexed
 * read is the cost of a dashboard request, and any cache would let a copied cookie outlive its
 * sign-out for as long as the cache holds.
 */
export async function loadSession(c: Context<AppEnv>): Promise<DashboardSession | null> {
  const claims = await openSession(c.env, getCookie(c, SESSION_COOKIE));
  if (!claims) return null;
  const row = await openSessionRow(c.env, claims);
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
