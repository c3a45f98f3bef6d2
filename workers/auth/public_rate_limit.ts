import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';

/** The binding's period (wrangler.toml): a refused caller may try again after this many seconds. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

/**
 * Counts one public API request against its API key's budget; over the budget it is a 429
 * rate_limited with Retry-After. Keyed by the key's id (not the secret), so that one noisy key
 * does not starve the other members of its workspace.
 */
export async function chargeRateLimit(c: Context<AppEnv>, keyId: string): Promise<void> {
  const limiter = c.env.PUBLIC_API_RATE_LIMITER;
  if (!limiter) return;
  const { success } = await limiter.limit({ key: keyId });
  if (success) return;
  c.header('Retry-After', String(RATE_LIMIT_PERIOD_SECONDS));
  throw new ApiError('rate_limited', `Too many requests for this API key; retry in ${RATE_LIMIT_PERIOD_SECONDS} s.`);
}
