import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { resources } from '../../../schema/tables';
import { ApiError } from '../../errors/api_error';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { errorResponses, IdempotencyIdSchema, jsonBody, jsonResponse, MemberIdSchema, WorkspaceIdSchema } from '../../openapi/schemas';
import { isInFuture } from '../../lib/time';
import { assertTenants } from '../../usage/known_tenants';
import type { Router } from '../router';

const Timestamp = z.iso.datetime({ offset: true });

const StartBody = z
  .object({
    id: IdempotencyIdSchema.openapi({ description: 'Your id for the resource (res_… by convention); also the idempotency key.', example: 'res_sbx_42' }),
    workspaceId: WorkspaceIdSchema,
    memberId: MemberIdSchema.optional(),
    kind: z.enum(['instance', 'volume']),
    instanceType: z.string().min(1).max(100).optional(),
    sizeBytes: z.int().min(1).max(1_000_000_000_000_000).optional(),
    startedAt: Timestamp.optional().openapi({ description: 'Defaults to now; may be in the past to report late.' }),
  })
  .superRefine((b, ctx) => {
    if (b.kind === 'instance' && !b.instanceType) ctx.addIssue({ code: 'custom', path: ['instanceType'], message: 'required for an instance' });
    if (b.kind === 'volume' && b.sizeBytes === undefined) ctx.addIssue({ code: 'custom', path: ['sizeBytes'], message: 'required for a volume' });
  });

const ResourceSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    memberId: z.string().nullable(),
    kind: z.enum(['instance', 'volume']),
    instanceType: z.string().nullable(),
    sizeBytes: z.int().nullable(),
    status: z.enum(['running', 'stopped']),
    startedAt: z.string(),
    stoppedAt: z.string().nullable(),
    stopReason: z.string().nullable(),
  })
  .openapi('Resource');

const notInFuture = (ms: number, field: string) => {
  if (isInFuture(ms)) throw new ApiError('invalid_request', `${field}: must not be in the future.`);
  return ms;
};

export const startResourceRoute = createRoute({
  method: 'post',
  path: '/internal/v1/resources',
  tags: ['internal'],
  summary: 'Start metering an instance or a volume (idempotent by id)',
  security: [{ internalToken: [] }],
  request: { body: jsonBody(StartBody) },
  responses: {
    201: jsonResponse('Metering.', ResourceSchema),
    ...errorResponses(400, 401, 402, 404, 409),
  },
});

export const stopResourceRoute = createRoute({
  method: 'post',
  path: '/internal/v1/resources/{id}/stop',
  tags: ['internal'],
  summary: 'Stop metering (idempotent)',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ id: IdempotencyIdSchema }),
    body: { required: false, content: { 'application/json': { schema: z.object({ stoppedAt: Timestamp.optional() }) } } },
  },
  responses: { 200: jsonResponse('Stopped (or already stopped).', ResourceSchema), ...errorResponses(400, 401, 404) },
});

export const resizeResourceRoute = createRoute({
  method: 'post',
  path: '/internal/v1/resources/{id}/resize',
  tags: ['internal'],
  summary: 'Change a volume\'s size from a moment on (idempotent for the same size)',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ id: IdempotencyIdSchema }),
    body: jsonBody(z.object({ sizeBytes: z.int().min(1).max(1_000_000_000_000_000), at: Timestamp.optional() })),
  },
  responses: { 200: jsonResponse('Resized.', ResourceSchema), ...errorResponses(400, 401, 404) },
});

export const registerResourceRoutes = (app: Router) =>
  app
    .openapi(startResourceRoute, async (c) => {
      const body = c.req.valid('json');
      await assertTenants(c.env, [{ workspaceId: body.workspaceId, memberId: body.memberId, path: 'body' }]);
      const startedAtMs = body.startedAt ? notInFuture(Date.parse(body.startedAt), 'startedAt') : undefined;
      const { startedAt: _s, ...rest } = body;
      const result = unwrap(await ledgerFor(c.env, body.workspaceId).startResource({ ...rest, startedAtMs }));
      return c.json(result.value, 201);
    })
    .openapi(stopResourceRoute, async (c) => {
      const { id } = c.req.valid('param');
      const body = (c.req.valid('json') as { stoppedAt?: string } | undefined) ?? {};
      const stoppedAtMs = body.stoppedAt ? notInFuture(Date.parse(body.stoppedAt), 'stoppedAt') : null;
      const row = await drizzle(c.env.DB).select({ workspaceId: resources.workspaceId }).from(resources).where(eq(resources.id, id)).get();
      if (!row) throw new ApiError('not_found', 'No such resource.');
      return c.json(unwrap(await ledgerFor(c.env, row.workspaceId).stopResource(row.workspaceId, id, stoppedAtMs)).value, 200);
    })
    .openapi(resizeResourceRoute, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const atMs = body.at ? notInFuture(Date.parse(body.at), 'at') : null;
      const row = await drizzle(c.env.DB).select({ workspaceId: resources.workspaceId }).from(resources).where(eq(resources.id, id)).get();
      if (!row) throw new ApiError('not_found', 'No such resource.');
      return c.json(unwrap(await ledgerFor(c.env, row.workspaceId).resizeVolume(row.workspaceId, id, body.sizeBytes, atMs)).value, 200);
    });
