import type { Env } from '../env';
import { randomToken } from '../lib/crypto';
import { usableSecret } from '../auth/secret_policy';

// The dashboard session is a signed cookie naming its server-side row (session_store.ts): the
// cookie says who signed in (workspace, member, the key or null for a link) and cannot be forged;
// the row, read with the member on every request, says whether the session is still open, so
// signing out, revoking a key or ending a member's sessions takes effect at once, for every copy
// of the cookie.
export const SESSION_COOKIE = 'burnrate_session';
export const SESSION_TTL_MS = 12 * 3_600_000;

export interface SessionClaims {
  /** Session id: the CSRF token is derived from it. */
  sid: string;
  workspaceId: string;
  memberId: string;
  /** The API key used to sign in, or null for a one-time link. */
  keyId: string | null;
  expiresAtMs: number;
}

const encoder = new TextEncoder();

const base64url = (bytes: Uint8Array) => {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
};

const fromBase64url = (text: string) => Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (c) => c.charCodeAt(0));

// The derived key, kept for the isolate's life: every dashboard request signs or verifies at least
// once, and deriving (HKDF) each time is work for nothing. Keyed by the secret, so a rotated secret
// derives afresh.
let derived: { secret: string; key: Promise<CryptoKey> } | null = null;

/** HMAC key for session cookies and CSRF tokens: DASHBOARD_SESSION_SECRET, else derived from INTERNAL_API_TOKEN. */
function signingKey(env: Env): Promise<CryptoKey> {
  const secret = usableSecret(env, env.DASHBOARD_SESSION_SECRET || env.INTERNAL_API_TOKEN);
  // Fail closed: without a secret (or with a published one next to a real Stripe key) nobody can
  // be signed in (forged cookies must never verify).
  if (!secret) return Promise.reject(new Error('dashboard sessions need DASHBOARD_SESSION_SECRET or INTERNAL_API_TOKEN (set, and not a published default while STRIPE_SECRET_KEY is set)'));
  if (derived?.secret !== secret) derived = { secret, key: deriveSigningKey(secret) };
  return derived.key;
}

async function deriveSigningKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode('burnrate'), info: encoder.encode('dashboard-session-v1') },
    material,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
}

async function mac(env: Env, message: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', await signingKey(env), encoder.encode(message))));
}

async function macVerifies(env: Env, message: string, signature: string): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(signature);
  } catch {
    return false;
  }
  // crypto.subtle.verify compares in constant time.
  return crypto.subtle.verify('HMAC', await signingKey(env), bytes, encoder.encode(message));
}

export function newSessionClaims(input: { workspaceId: string; memberId: string; keyId: string | null }, nowMs = Date.now()): SessionClaims {
  return { sid: randomToken(16), ...input, expiresAtMs: nowMs + SESSION_TTL_MS };
}

export async function sealSession(env: Env, claims: SessionClaims): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  return `${payload}.${await mac(env, `session.${payload}`)}`;
}

/** The claims of a cookie value whose signature verifies and that has not expired; null otherwise. */
export async function openSession(env: Env, value: string | undefined, nowMs = Date.now()): Promise<SessionClaims | null> {
  if (!value || value.length > 2_000) return null;
  const [payload, signature, extra] = value.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  if (!(await macVerifies(env, `session.${payload}`, signature))) return null;
  try {
    const claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as SessionClaims;
    if (typeof claims.expiresAtMs !== 'number' || claims.expiresAtMs <= nowMs) return null;
    if (typeof claims.sid !== 'string' || typeof claims.workspaceId !== 'string' || typeof claims.memberId !== 'string') return null;
    return claims;
  } catch {
    return null;
  }
}

/** The CSRF token of a session: a MAC of its id, so it needs no storage and dies with the session. */
export const csrfTokenFor = (env: Env, sid: string) => mac(env, `csrf.${sid}`);

export const csrfTokenValid = (env: Env, sid: string, token: string) => macVerifies(env, `csrf.${sid}`, token);
