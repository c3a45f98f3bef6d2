import { createRoute, z } from '@hono/zod-openapi';
import { EX } from '../../openapi/examples';
import { ApiKeyIdSchema, errorResponses, IdempotencyHeadersSchema, IdempotencyIdSchema, jsonBody, jsonResponse, MemberIdSchema, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';
import { replayedHeaders } from '../../http/idempotent_replayed';
import { createApiKey } from '../../tenancy/create_api_key';
import { revokeApiKey } from '../../tenancy/revoke_api_key';

const CreatedKey = z
  .object({ id: z.string(), apiKey: z.string(), prefix: z.string(), memberId: z.string(), createdAt: z.string() })
  .openapi('CreatedApiKey', {
    description: '`apiKey` is the secret, shown only here (and in replays); `prefix` is what lists show to tell keys apart.',
    example: { id: EX.apiKeyId, apiKey: EX.apiKey, prefix: EX.apiKeyPrefix, memberId: EX.memberId, createdAt: EX.createdAt },
  });
const RevokedKey = z
  .object({ id: z.string(), prefix: z.string(), memberId: z.string(), revokedAt: z.string() })
  .openapi('RevokedApiKey', { example: { id: EX.apiKeyId, prefix: EX.apiKeyPrefix, memberId: EX.memberId, revokedAt: EX.now } });

export const createApiKeyRoute = createRoute({
  method: 'post',
  path: '/internal/v1/workspaces/{ws}/api-keys',
  operationId: 'createApiKey',
  tags: ['Workspaces'],
  summary: 'Create an API key for a member',
  description:
    'The key acts as its member, with the member\'s role. **Idempotency:** optional, by the body `id` or the `Idempotency-Key` header; a replay answers the same key, another body under the same id is 409.',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    headers: IdempotencyHeadersSchema,
    body: jsonBody(z.object({ id: IdempotencyIdSchema.optional(), memberId: MemberIdSchema }), { id: 'rotate-max-2026-11', memberId: EX.memberId }),
  },
  responses: {
    201: jsonResponse('Created; the key is returned once.', CreatedKey, { id: EX.apiKeyId, apiKey: EX.apiKey, prefix: EX.apiKeyPrefix, memberId: EX.memberId, createdAt: EX.createdAt }),
    ...errorResponses(
      ['invalid_request', 'memberId: must be a member id (mem_…)'],
      'unauthenticated',
      ['not_found', 'No such member in this workspace.'],
      ['idempotency_conflict', 'The id "rotate-max-2026-11" was already used with a different request.'],
    ),
  },
});

export const revokeApiKeyRoute = createRoute({
  method: 'delete',
  path: '/internal/v1/workspaces/{ws}/api-keys/{id}',
  operationId: 'revokeApiKey',
  tags: ['Workspaces'],
  summary: 'Revoke an API key',
  description:
    "The key stops working at once, and its member is signed out of the dashboard everywhere (sessions signed in with any of the member's keys, and one-time-link sessions). **Idempotent:** revoking again answers 200 with the time of the first revocation and ends no session started since.",
  security: [{ internalToken: [] }],
  request: { params: z.object({ ws: WorkspaceIdSchema, id: ApiKeyIdSchema }) },
  responses: {
    200: jsonResponse('Revoked (or already revoked).', RevokedKey, { id: EX.apiKeyId, prefix: EX.apiKeyPrefix, memberId: EX.memberId, revokedAt: EX.now }),
    ...errorResponses(['invalid_request', 'id: must be an API key id (key_…)'], 'unauthenticated', ['not_found', 'No such API key in this workspace.']),
  },
});

export const registerApiKeyRoutes = (app: Router) =>
  app
    .openapi(createApiKeyRoute, async (c) => {
      const { ws } = c.req.valid('param');
      const body = c.req.valid('json');
      const { value, replayed } = await createApiKey(c.env, ws, body.id ?? c.req.valid('header')['idempotency-key'], body.memberId);
      return c.json(value, 201, replayedHeaders(replayed));
    })
    .openapi(revokeApiKeyRoute, async (c) => {
      const { ws, id } = c.req.valid('param');
      const { value, replayed } = await revokeApiKey(c.env, ws, id);
      return c.json(value, 200, replayedHeaders(replayed));
    });
