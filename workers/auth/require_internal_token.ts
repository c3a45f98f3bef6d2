import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';
import { secretsEqual } from '../lib/crypto';
import { usableSecret } from './secret_policy';

// Service-to-service authentication. Fails closed: with no INTERNAL_API_TOKEN configured — or, next
// to a real STRIPE_SECRET_KEY, one of the published dev values — nothing gets in (401).
export const requireInternalToken = createMiddleware<AppEnv>(async (c, next) => {
  const expected = usableSecret(c.env, c.env.INTERNAL_API_TOKEN);
  const match = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i);
  const presented = match?.[1]?.trim();
  if (!expected || !presented || !(await secretsEqual(presented, expected))) {
    throw new ApiError('unauthenticated', 'Missing or invalid internal token.');
  }
  await next();
});
