import type { Context } from 'hono';
import type { AppEnv, DashboardSession } from '../env';
import { csrfTokenValid } from './session_cookie';

export type FormFields = Record<string, string>;

/**
 * A dashboard form post, accepted only when it carries the session's CSRF token and, when the
 * browser says where it comes from, our own origin. SameSite=Strict already keeps other sites'
 * posts unauthenticated; the token is the second lock. Null means refuse.
 */
export async function readGuardedForm(c: Context<AppEnv>, session: DashboardSession): Promise<FormFields | null> {
  const origin = c.req.header('origin');
  if (origin && origin !== new URL(c.req.url).origin) return null;
  const contentType = c.req.header('content-type') ?? '';
  if (!contentType.startsWith('application/x-www-form-urlencoded') && !contentType.startsWith('multipart/form-data')) return null;
  const body = await c.req.parseBody();
  const fields: FormFields = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') fields[k] = v;
  // The session (and so its id) came from this request's verified cookie.
  if (!fields.csrf) return null;
  return (await csrfTokenValid(c.env, session.sid, fields.csrf)) ? fields : null;
}
