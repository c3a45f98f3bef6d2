import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { apiKeys, members } from '../../../schema/tables';
import { mintApiKey } from '../../auth/api_keys';
import { ApiError } from '../../errors/api_error';
import { idempotentCreate } from '../../lib/idempotent_create';
import { newId } from '../../lib/ids';
import { iso } from '../../lib/time';
import { ApiKeyIdSchema, errorResponses, IdempotencyHeadersSchema, IdempotencyIdSchema, jsonBody, jsonResponse, MemberIdSchema, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';
import { assertWorkspaceExists } from './workspace_exists';

const CreatedKey = z
  .object({ id: z.string(), apiKey: z.string(), prefix: z.string(), memberId: z.string(), createdAt: z.string() })
  .openapi('CreatedApiKey');
const RevokedKey = z
  .object({ id: z.string(), prefix: z.string(), memberId: z.string(), revokedAt: z.string() })
  .openapi('RevokedApiKey');

export const createApiKeyRoute = createRoute({
  method: 'post',
  path: '/internal/v1/workspaces/{ws}/api-keys',
  tags: ['internal'],
  summary: 'Create an API key for a member',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    headers: IdempotencyHeadersSchema,
    body: jsonBody(z.object({ id: IdempotencyIdSchema.optional(), memberId: MemberIdSchema })),
  },
  responses: { 201: jsonResponse('Created; the key is returned once.', CreatedKey), ...errorResponses(400, 401, 404, 409) },
});

export const revokeApiKeyRoute = createRoute({
  method: 'delete',
  path: '/internal/v1/workspaces/{ws}/api-keys/{id}',
  tags: ['internal'],
  summary: 'Revoke an API key (idempotent)',
  security: [{ internalToken: [] }],
  request: { params: z.object({ ws: WorkspaceIdSchema, id: ApiKeyIdSchema }) },
  responses: { 200: jsonResponse('Revoked (or already revoked).', RevokedKey), ...errorResponses(400, 401, 404) },
});

export const registerApiKeyRoutes = (app: Router) =>
  app
    .openapi(createApiKeyRoute, async (c) => {
      const { ws } = c.req.valid('param');
      const body = c.req.valid('json');
      await assertWorkspaceExists(c.env, ws);
      const db = drizzle(c.env.DB);
      const result = await idempotentCreate(c.env, `${ws}:api-keys`, body.id ?? c.req.valid('header')['idempotency-key'], { memberId: body.memberId }, async () => {
        const member = await db
          .select({ id: members.id })
          .from(members)
          .where(and(eq(members.id, body.memberId), eq(members.workspaceId, ws)))
          .get();
        if (!member) throw new ApiError('not_found', 'No such member in this workspace.');
        const nowMs = Date.now();
        const keyId = newId('key', nowMs);
        const minted = await mintApiKey();
        return {
          status: 201,
          body: { id: keyId, apiKey: minted.plaintext, prefix: minted.prefix, memberId: body.memberId, createdAt: iso(nowMs) },
          statements: [
            db.insert(apiKeys).values({ id: keyId, workspaceId: ws, memberId: body.memberId, keyHash: minted.keyHash, prefix: minted.prefix, createdAtMs: nowMs }),
          ],
        };
      });
      return c.json(result.body, 201);
    })
    .openapi(revokeApiKeyRoute, async (c) => {
      const { ws, id } = c.req.valid('param');
      const db = drizzle(c.env.DB);
      const scoped = and(eq(apiKeys.id, id), eq(apiKeys.workspaceId, ws));
      // First revocation wins; later ones report the original revocation time.
      await db.update(apiKeys).set({ revokedAtMs: Date.now() }).where(and(scoped, isNull(apiKeys.revokedAtMs)));
      const key = await db.select().from(apiKeys).where(scoped).get();
      if (!key) throw new ApiError('not_found', 'No such API key in this workspace.');
      return c.json({ id: key.id, prefix: key.prefix, memberId: key.memberId, revokedAt: iso(key.revokedAtMs ?? Date.now()) }, 200);
    });
