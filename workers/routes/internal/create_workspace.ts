import { createRoute, z } from '@hono/zod-openapi';
import { drizzle } from 'drizzle-orm/d1';
import { apiKeys, balances, members, workspaces } from '../../../schema/tables';
import { mintApiKey } from '../../auth/api_keys';
import { idempotentCreate } from '../../lib/idempotent_create';
import { newId } from '../../lib/ids';
import { iso } from '../../lib/time';
import { adminMemberExample, EX, workspaceExample } from '../../openapi/examples';
import { EmailSchema, errorResponses, IdempotencyHeadersSchema, IdempotencyIdSchema, jsonBody, jsonResponse, MemberSchema, NameSchema, WorkspaceSchema } from '../../openapi/schemas';
import type { Router } from '../router';

const Body = z.object({
  id: IdempotencyIdSchema.optional().openapi({ description: 'Optional idempotency key; the Idempotency-Key header also works.' }),
  name: NameSchema,
  admin: z.object({ name: NameSchema, email: EmailSchema }),
});

const Created = z
  .object({
    workspace: WorkspaceSchema,
    member: MemberSchema,
    apiKey: z.string().openapi({ description: 'The admin key, shown only in this answer (and its replays); stored only as a hash.', example: EX.apiKey }),
  })
  .openapi('CreatedWorkspace');

export const createWorkspaceRoute = createRoute({
  method: 'post',
  path: '/internal/v1/workspaces',
  operationId: 'createWorkspace',
  tags: ['Workspaces'],
  summary: 'Create a workspace with its first admin',
  description:
    'Creates the workspace (balance 0, plan `payg`), its first admin member and that member\'s API key. **Idempotency:** optional, by the body `id` or the `Idempotency-Key` header; a replay within 24 hours answers the original 201 (with the same key), another body under the same id is 409.',
  security: [{ internalToken: [] }],
  request: {
    headers: IdempotencyHeadersSchema,
    body: jsonBody(Body, { id: 'create-acme-2026-11', name: 'Acme Robotics', admin: { name: 'Ada Lovelace', email: 'ada@acme.example' } }),
  },
  responses: {
    201: jsonResponse('Created; the admin API key is returned once.', Created, { workspace: workspaceExample, member: adminMemberExample, apiKey: EX.apiKey }),
    ...errorResponses(['invalid_request', 'admin.email: Invalid email address'], 'unauthenticated', ['idempotency_conflict', 'The id "create-acme-2026-11" was already used with a different request.']),
  },
});

export const registerCreateWorkspace = (app: Router) =>
  app.openapi(createWorkspaceRoute, async (c) => {
    const body = c.req.valid('json');
    const key = body.id ?? c.req.valid('header')['idempotency-key'];
    const { id: _id, ...request } = body;
    const result = await idempotentCreate(c.env, 'workspaces', key, request, async () => {
      const nowMs = Date.now();
      const workspaceId = newId('ws', nowMs);
      const memberId = newId('mem', nowMs);
      const minted = await mintApiKey();
      const db = drizzle(c.env.DB);
      return {
        status: 201,
        body: {
          workspace: { id: workspaceId, name: body.name, createdAt: iso(nowMs) },
          member: { id: memberId, workspaceId, name: body.admin.name, email: body.admin.email, role: 'admin' as const, createdAt: iso(nowMs) },
          apiKey: minted.plaintext,
        },
        statements: [
          db.insert(workspaces).values({ id: workspaceId, name: body.name, createdAtMs: nowMs }),
          db.insert(members).values({ id: memberId, workspaceId, name: body.admin.name, email: body.admin.email, role: 'admin', createdAtMs: nowMs }),
          db.insert(apiKeys).values({ id: newId('key', nowMs), workspaceId, memberId, keyHash: minted.keyHash, prefix: minted.prefix, createdAtMs: nowMs }),
          db.insert(balances).values({ workspaceId, balanceMicros: 0, updatedAtMs: nowMs }),
        ],
      };
    });
    return c.json(result.body, 201);
  });
