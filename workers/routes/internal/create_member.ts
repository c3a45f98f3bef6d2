import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { apiKeys, members } from '../../../schema/tables';
import { mintApiKey } from '../../auth/api_keys';
import { ApiError } from '../../errors/api_error';
import { idempotentCreate } from '../../lib/idempotent_create';
import { isDuplicateMemberEmail } from '../../lib/d1_errors';
import { newId } from '../../lib/ids';
import { iso } from '../../lib/time';
import { EX, memberExample } from '../../openapi/examples';
import { EmailSchema, errorResponses, IdempotencyHeadersSchema, IdempotencyIdSchema, jsonBody, jsonResponse, MemberSchema, NameSchema, RoleSchema, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';
import { assertWorkspaceExists } from './workspace_exists';

const emailTaken = () => new ApiError('invalid_request', 'email: a member with this email already exists in the workspace');

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
    const body = c.req.valid('json');
    await assertWorkspaceExists(c.env, ws);
    const { id: _id, ...request } = body;
    const db = drizzle(c.env.DB);
    const result = await idempotentCreate(c.env, `${ws}:members`, body.id ?? c.req.valid('header')['idempotency-key'], request, async () => {
      // Checked here for a clear answer; the unique index decides races (see the catch below).

      const taken = await db
        .select({ id: members.id })
        .from(members)
        .where(and(eq(members.workspaceId, ws), eq(members.email, body.email)))
        .get();
      if (taken) throw emailTaken();
      const nowMs = Date.now();
      const memberId = newId('mem', nowMs);
      const minted = await mintApiKey();
      return {
        status: 201,
        body: { member: { id: memberId, workspaceId: ws, name: body.name, email: body.email, role: body.role, createdAt: iso(nowMs) }, apiKey: minted.plaintext },
        statements: [
          db.insert(members).values({ id: memberId, workspaceId: ws, name: body.name, email: body.email, role: body.role, createdAtMs: nowMs }),
          db.insert(apiKeys).values({ id: newId('key', nowMs), workspaceId: ws, memberId, keyHash: minted.keyHash, prefix: minted.prefix, createdAtMs: nowMs }),
        ],
      };
    }).catch((error: unknown) => {
      if (isDuplicateMemberEmail(error)) throw emailTaken();
      throw error;
    });
    return c.json(result.body, 201);
  });
