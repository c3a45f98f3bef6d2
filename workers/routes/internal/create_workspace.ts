import { createRoute, z } from '@hono/zod-openapi';
import { adminMemberExample, EX, workspaceExample } from '../../openapi/examples';
import { EmailSchema, errorResponses, IdempotencyHeadersSchema, IdempotencyIdSchema, jsonBody, jsonResponse, MemberSchema, NameSchema, RegionSchema, WorkspaceSchema } from '../../openapi/schemas';
import { createWorkspace } from '../../tenancy/create_workspace';
import type { Router } from '../router';
import { callerRegion } from '../../regions/caller_region';
import { replayedHeaders } from '../../http/idempotent_replayed';

const Body = z.object({
  id: IdempotencyIdSchema.optional().openapi({ description: 'Optional idempotency key; the Idempotency-Key header also works.' }),
  name: NameSchema,
  admin: z.object({ name: NameSchema, email: EmailSchema }),
  homeRegion: RegionSchema.optional().openapi({ description: 'Where the workspace\'s ledger lives (default: the caller\'s region; locally the X-Burnrate-Region header, default enam). Never changes.' }),
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
    const { id, ...request } = c.req.valid('json');
    const { value, replayed } = await createWorkspace(c.env, id ?? c.req.valid('header')['idempotency-key'], request, callerRegion(c.env, c.req.raw));
    return c.json(value, 201, replayedHeaders(replayed));
  });
