import { createRoute, z } from '@hono/zod-openapi';
import { EX, memberExample } from '../../openapi/examples';
import { EmailSchema, errorResponses, IdempotencyHeadersSchema, IdempotencyIdSchema, jsonBody, jsonResponse, MemberSchema, NameSchema, RoleSchema, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';
import { replayedHeaders } from '../../http/idempotent_replayed';
import { createMember } from '../../tenancy/create_member';

const Body = z.object({ id: IdempotencyIdSchema.optional(), name: NameSchema, email: EmailSchema, role: RoleSchema });
const Created = z
  .object({ member: MemberSchema, apiKey: z.string().openapi({ description: 'The member\'s first API key, shown only in this answer (and its replays).' }) })
  .openapi('CreatedMember');

export const createMemberRoute = createRoute({
  method: 'post',
  path: '/internal/v1/workspaces/{ws}/members',
  operationId: 'createMember',
  tags: ['Workspaces'],
  summary: 'Add a member (admin or member) with a first API key',
  description:
    'Emails are unique per workspace (a second member with the same email is 400). **Idempotency:** optional, by the body `id` or the `Idempotency-Key` header; a replay answers the original 201, another body under the same id is 409.',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    headers: IdempotencyHeadersSchema,
    body: jsonBody(Body, { id: 'invite-max', name: 'Max Mustermann', email: 'max@acme.example', role: 'member' }),
  },
  responses: {
    201: jsonResponse('Created; the API key is returned once.', Created, { member: memberExample, apiKey: EX.apiKey }),
    ...errorResponses(
      ['invalid_request', 'email: a member with this email already exists in the workspace'],
      'unauthenticated',
      'not_found',
      ['idempotency_conflict', 'The id "invite-max" was already used with a different request.'],
    ),
  },
});

export const registerCreateMember = (app: Router) =>
  app.openapi(createMemberRoute, async (c) => {
    const { ws } = c.req.valid('param');
    const { id, ...request } = c.req.valid('json');
    const { value, replayed } = await createMember(c.env, ws, id ?? c.req.valid('header')['idempotency-key'], request);
    return c.json(value, 201, replayedHeaders(replayed));
  });
