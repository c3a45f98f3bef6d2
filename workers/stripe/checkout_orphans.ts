// A top-up's Checkout Session that nobody was told about must not stay payable: if it were paid,
// Stripe would hold the money of a top-up the caller was told had failed (and the webhook would find
// no deposit for it). Such an orphan appears when creating the session timed out or failed while
// Stripe may have created it (answered late), or when the deposit could not be opened after it.
// It is expired at once when Stripe lets us (checkout_orphans.ts, here), and otherwise by
// reconciliation (reconciliation/expire_orphans.ts). docs/stripe-errors.md describes both.
import type Stripe from 'stripe';
import { depositOfCheckoutSession } from '../billing/checkout_deposits';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { callStripe, PAGE_PATIENCE, stripeFor } from './stripe_client';
import { classifyStripeError } from './stripe_errors';

/**
 * Creates the top-up's session under `baseKey` (Stripe's idempotency key, the same for a retry of
 * the same top-up). A replay of the key answers the session of an earlier try as it was then, so
 * a replayed session without a deposit is read again: still open, it is this top-up's; closed, it
 * is a try burnrate abandoned (expired below), so the retry gets a session of its own under a key
 * derived from the abandoned one (the same on every retry, so retries still agree). A replayed
 * session with a deposit is that top-up's, whatever its state (the ledger replays the deposit).
 */
export async function createTopupSession(env: Env, workspaceId: string, params: Stripe.Checkout.SessionCreateParams, baseKey: string): Promise<Stripe.Checkout.Session> {
  let key = baseKey;
  for (let attempt = 0; attempt < 3; attempt++) {
    const made = await callStripe('checkout session', () => createOrAbandon(env, params, key));
    if (!isReplay(made) || (await depositOfCheckoutSession(env, workspaceId, made.id))) return made;
    const now = await callStripe('checkout session', () => stripeFor(env).checkout.sessions.retrieve(made.id));
    if (now.status === 'open') return now;
    key = `${baseKey}-after-${made.id}`;
  }
  throw new ApiError('stripe_unavailable', 'Stripe keeps answering with closed checkout sessions; nothing was charged. Try again with a new Idempotency-Key.');
}

/**
 * Stripe answered from its idempotency store (Idempotent-Replayed: true): the object as it was when
 * first made. With the fetch client, lastResponse is the fetch Response (a Headers object); with
 * Node's, a plain object of headers: both are read.
 */
function isReplay(session: Stripe.Response<Stripe.Checkout.Session>): boolean {
  const headers = session.lastResponse?.headers as unknown as Headers | Record<string, string> | undefined;
  const value = headers instanceof Headers ? headers.get('idempotent-replayed') : headers?.['idempotent-replayed'];
  return String(value ?? '') === 'true';
}

/** One create; when Stripe's answer did not arrive (or may still change), the session it may have made is expired before the caller hears of the failure. */
async function createOrAbandon(env: Env, params: Stripe.Checkout.SessionCreateParams, key: string): Promise<Stripe.Response<Stripe.Checkout.Session>> {
  try {
    return await stripeFor(env).checkout.sessions.create(params, { idempotencyKey: key });
  } catch (error) {
    if (!classifyStripeError(error).decided) await abandonSessionOfKey(env, params, key);
    throw error;
  }
}

/**
 * The session Stripe may have made under `key`, learnt by sending the same request again (Stripe
 * answers a key it has seen with the session it made; one it has not, with a new one), then
 * expired. When Stripe does not answer this either, reconciliation expires it later.
 */
async function abandonSessionOfKey(env: Env, params: Stripe.Checkout.SessionCreateParams, key: string): Promise<void> {
  try {
    const session = await stripeFor(env, PAGE_PATIENCE).checkout.sessions.create(params, { idempotencyKey: key });
    await abandonSession(env, session.id);
  } catch (error) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'checkout session may be orphaned; reconciliation expires it', idempotencyKey: key, error: String(error) }));
  }
}

/**
 * Expires a session whose top-up the caller is told failed, unless it has a deposit (then it is
 * that deposit's, and the caller's retry answers with it). True when it is expired (or already
 * closed) at Stripe.
 */
export async function abandonSession(env: Env, sessionId: string, workspaceId?: string): Promise<boolean> {
  try {
    if (workspaceId && (await depositOfCheckoutSession(env, workspaceId, sessionId))) return false;
    await stripeFor(env, PAGE_PATIENCE).checkout.sessions.expire(sessionId);
    console.warn(JSON.stringify({ level: 'warn', msg: 'orphaned checkout session expired', sessionId }));
    return true;
  } catch (error) {
    const verdict = classifyStripeError(error);
    // Stripe refusing means it is not open (paid or expired already): nothing left to close.
    if (verdict.decided) return true;
    console.warn(JSON.stringify({ level: 'warn', msg: 'checkout session may be orphaned; reconciliation expires it', sessionId, error: verdict.message }));
    return false;
  }
}
