import type { Env } from '../env';
import { isUnsafeSecret } from '../lib/published_secrets.mjs';

/**
 * A secret as the Worker may use it. Without STRIPE_SECRET_KEY (tests, `npm start` with the
 * emulator) the dev defaults are fine. With a real Stripe key a value that is published
 * (workers/lib/published_secrets.mjs) protects nothing, so it counts as unset: whatever needs it
 * fails closed (internal calls 401, Stripe webhooks 503, dashboard sessions refused).
 */
export function usableSecret(env: Env, value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (env.STRIPE_SECRET_KEY && isUnsafeSecret(value)) {
    console.error(JSON.stringify({ level: 'error', msg: 'a published default secret is configured next to a real STRIPE_SECRET_KEY; refusing to use it' }));
    return undefined;
  }
  return value;
}
