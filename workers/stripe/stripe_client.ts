import Stripe from 'stripe';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { classifyStripeError } from './stripe_errors';

/** How long one Stripe request may take and how often stripe-node retries it (its retries reuse the idempotency key). */
export interface StripePatience {
  timeoutMs: number;
  maxNetworkRetries: number;
}

/**
 * For a page a person is waiting on (the dashboard's reads): one try of 3 s. What Stripe does not
 * answer by then is shown as unavailable; nothing that moves money waits on it.
 */
export const PAGE_PATIENCE: StripePatience = { timeoutMs: 3_000, maxNetworkRetries: 0 };

/**
 * stripe-node on the Workers runtime: the fetch HTTP client, and SubtleCrypto for signatures.
 * With STRIPE_SECRET_KEY it talks to Stripe; without it, to the local emulator that `npm start`
 * runs (STRIPE_EMULATOR_URL). Neither: Stripe features answer 503 stripe_unavailable. `patience`
 * overrides the defaults (15 s and 2 retries at Stripe, 10 s and 1 retry at the emulator).
 */
export function stripeFor(env: Env, patience?: StripePatience): Stripe {
  const httpClient = Stripe.createFetchHttpClient();
  const wait = (timeout: number, maxNetworkRetries: number) =>
    patience ? { timeout: patience.timeoutMs, maxNetworkRetries: patience.maxNetworkRetries } : { timeout, maxNetworkRetries };
  if (env.STRIPE_SECRET_KEY) return new Stripe(env.STRIPE_SECRET_KEY, { httpClient, ...wait(15_000, 2) });
  if (env.STRIPE_EMULATOR_URL) {
    const url = new URL(env.STRIPE_EMULATOR_URL);
    return new Stripe('sk_test_burnrate_emulator', {
      httpClient,
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      ...wait(10_000, 1),
    });
  }
  throw new ApiError('stripe_unavailable', 'Stripe is not configured (set STRIPE_SECRET_KEY).');
}

export const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** The id of a Stripe reference, whether Stripe sent the id or (expanded) the object. */
export const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

/** Calls Stripe, turning its failures into the contract's errors. */
export async function callStripe<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const e = error as { type?: string; code?: string; message?: string; statusCode?: number };
    if (e.type === 'StripeIdempotencyError' || e.code === 'idempotency_key_in_use') {
      throw new ApiError('idempotency_conflict', 'This Idempotency-Key was already used with a different request.');
    }
    if (e.type === 'StripeInvalidRequestError' && e.statusCode === 404) throw new ApiError('not_found', `No such ${what}.`);
    console.error(JSON.stringify({ level: 'error', msg: `stripe ${what} failed`, type: e.type, code: e.code, status: e.statusCode, error: e.message }));
    const verdict = classifyStripeError(error);
    if (verdict.decided) throw new ApiError('stripe_unavailable', `Stripe refused the request (${what}: ${verdict.code}); nothing was charged.`);
    throw new ApiError('stripe_unavailable', `Stripe did not answer (${what}); nothing was charged. Try again.`);
  }
}
