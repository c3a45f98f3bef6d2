import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';
import { secretsEqual } from '../lib/crypto';

// Service-to-service authentication. Fails closed: with no INTERNAL_API_TOKEN configured, nothing
// gets in.
export const requireInternalToken = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.INTERNAL_API_TOKEN;
  const match = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i);
  const presented = match?.[1]?.trim();
  if (!expected || !presented || !(await secretsEqual(presented, expected))) {
    throw new ApiError('unauthenticated', 'Missing or invalid internal token.');
  }
  await next();
});
