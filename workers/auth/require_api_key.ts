import { and, eq, isNull } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { apiKeys, members } from '../../schema/tables';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';
import { hashApiKey } from './api_keys';
import { chargeRateLimit } from './public_rate_limit';
import { directoryDb } from '../storage/databases';

const MAX_KEY_LENGTH = 200;

function presentedKey(headers: Headers): string | null {
  const direct = headers.get('x-api-key');
  if (direct) return direct.trim();
  const authorization = headers.get('authorization');
  const match = authorization?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim() ?? null;
}

// Public API authentication: the key names exactly one member of one workspace, and every query
// downstream is scoped by the workspace taken from here, never from the request.
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const key = presentedKey(c.req.raw.headers);
  if (!key) throw new ApiError('unauthenticated', 'Missing API key: send it as X-API-Key or Authorization: Bearer.');
  if (key.length > MAX_KEY_LENGTH) throw new ApiError('unauthenticated', 'Unknown or revoked API key.');
  const keyHash = await hashApiKey(key);
  const row = await directoryDb(c.env)
    .select({ keyId: apiKeys.id, workspaceId: apiKeys.workspaceId, memberId: apiKeys.memberId, role: members.role })
    .from(apiKeys)
    .innerJoin(members, eq(members.id, apiKeys.memberId))
    .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAtMs)))
    .get();
  if (!row) throw new ApiError('unauthenticated', 'Unknown or revoked API key.');
  await chargeRateLimit(c, row.keyId);
  c.set('auth', row);
  await next();
});

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('auth').role !== 'admin') throw new ApiError('forbidden', 'This action needs a workspace admin.');
  await next();
});
