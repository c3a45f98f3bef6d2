import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../errors/api_error';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { EX, resourceExample } from '../../openapi/examples';
import { errorResponses, IdempotencyIdSchema, jsonBody, jsonResponse, MemberIdSchema, WorkspaceIdSchema } from '../../openapi/schemas';
import { plainText } from '../../openapi/plain_text';
import { isInFuture } from '../../lib/time';
import { assertTenants } from '../../usage/known_tenants';
import { claimResourceId, resourceWorkspaceId } from '../../tenancy/resource_workspace';
import type { Router } from '../router';
import type { Env } from '../../env';
import { retentionCutoffMs, retentionDays } from '../../usage/retention';
import { MAX_VOLUME_BYTES } from '../../usage/amount_limits';

const Timestamp = z.iso.datetime({ offset: true });

const StartBody = z
  .object({
    id: IdempotencyIdSchema.openapi({ description: 'Your id for the resource (res_… by convention); also the idempotency key.', example: EX.resourceId }),
    workspaceId: WorkspaceIdSchema,
    memberId: MemberIdSchema.optional(),
    kind: z.enum(['instance', 'volume']).openapi({ description: 'instance: billed per second at its type\'s hourly rate. volume: billed per byte-second of storage.' }),
    instanceType: plainText().min(1).max(100).optional().openapi({ description: 'Required for an instance: a type of the price list.', example: 'cpu-small' }),
    sizeBytes: z.int().min(1).max(MAX_VOLUME_BYTES).optional().openapi({ description: 'Required for a volume: its size in bytes.' }),
    startedAt: Timestamp.optional().openapi({ description: 'ISO-8601. Defaults to now; may be in the past to report late (not before the workspace existed, nor older than the usage retention window), never in the future.' }),
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
  .openapi('Resource', { description: 'A metered instance or volume.', example: resourceExample });

const notInFuture = (ms: number, field: string) => {
  if (isInFuture(ms)) throw new ApiError('invalid_request', `${field}: must not be in the future.`);
  return ms;
};

export const startResourceRoute = createRoute({
  method: 'post',
  path: '/internal/v1/resources',
  operationId: 'startResource',
  tags: ['Usage'],
  summary: 'Start metering an instance or a volume',
  description:
    'Metering runs until stopped, or until the balance reaches zero (instances are then terminated and the platform told; volumes become inaccessible). Refused with 402 when the workspace has no credits left. **Idempotency:** by `id`: the same id and body answers the resource as it stands; the same id with another body is 409.',
  security: [{ internalToken: [] }],
  request: {
    body: jsonBody(StartBody, { id: EX.resourceId, workspaceId: EX.workspaceId, memberId: EX.memberId, kind: 'instance', instanceType: 'cpu-small', startedAt: EX.createdAt }),
  },
  responses: {
    201: jsonResponse('Metering.', ResourceSchema, resourceExample),
    ...errorResponses(
      ['invalid_request', 'instanceType: required for an instance'],
      'unauthenticated',
      ['insufficient_credits', 'The workspace has no credits left to start an instance.'],
      ['not_found', 'body.workspaceId: no such workspace.'],
      ['idempotency_conflict', `The resource id "${EX.resourceId}" was already used with a different request.`],
    ),
  },
});

export const stopResourceRoute = createRoute({
  method: 'post',
  path: '/internal/v1/resources/{id}/stop',
  operationId: 'stopResource',
  tags: ['Usage'],
  summary: 'Stop metering',
  description: '**Idempotent:** stopping a stopped resource answers it as it is, with its first stop time.',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ id: IdempotencyIdSchema.openapi({ description: 'The id the resource was started with.', example: EX.resourceId }) }),
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.object({ stoppedAt: Timestamp.optional().openapi({ description: 'ISO-8601. Defaults to now; never in the future.' }) }),
          example: { stoppedAt: '2026-11-21T10:30:00.000Z' },
        },
      },
    },
  },
  responses: {
    200: jsonResponse('Stopped (or already stopped).', ResourceSchema, { ...resourceExample, status: 'stopped', stoppedAt: '2026-11-21T10:30:00.000Z', stopReason: 'stopped' }),
    ...errorResponses(['invalid_request', 'stoppedAt: must not be in the future.'], 'unauthenticated', ['not_found', 'No such resource.']),
  },
});

export const resizeResourceRoute = createRoute({
  method: 'post',
  path: '/internal/v1/resources/{id}/resize',
  operationId: 'resizeVolume',
  tags: ['Usage'],
  summary: 'Change a volume\'s size from a moment on',
  description: 'Storage is billed at the old size until `at`, at the new size after. **Idempotent** for the same size. Only a running volume can be resized.',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ id: IdempotencyIdSchema.openapi({ description: 'The id the volume was started with.', example: EX.volumeId }) }),
    body: jsonBody(
      z.object({
        sizeBytes: z.int().min(1).max(MAX_VOLUME_BYTES).openapi({ description: 'The new size in bytes.' }),
        at: Timestamp.optional().openapi({ description: 'ISO-8601. Defaults to now; never in the future.' }),
      }),
      { sizeBytes: 100_000_000_000, at: '2026-11-21T10:15:00.000Z' },
    ),
  },
  responses: {
    200: jsonResponse('Resized.', ResourceSchema, {
      ...resourceExample,
      id: EX.volumeId,
      kind: 'volume',
      instanceType: null,
      sizeBytes: 100_000_000_000,
    }),
    ...errorResponses(['invalid_request', 'sizeBytes: only a volume can be resized.'], 'unauthenticated', ['not_found', 'No such resource.']),
  },
});

/**
 * A start before the workspace existed is refused; so is one older than the usage retention window
 * (runtime that old could not be reported as usage either, and accrual would walk every hour since).
 */
function assertStartInWindow(env: Env, startedAtMs: number, workspaceCreatedAtMs: number) {
  if (startedAtMs < workspaceCreatedAtMs) throw new ApiError('invalid_request', 'startedAt: before the workspace was created.');
  if (startedAtMs < retentionCutoffMs(env, Date.now())) {
    throw new ApiError('invalid_request', `startedAt: older than the retention window (${retentionDays(env)} days).`);
  }
}

export const registerResourceRoutes = (app: Router) =>
  app
    .openapi(startResourceRoute, async (c) => {
      const body = c.req.valid('json');
      const createdAtMs = await assertTenants(c.env, [{ workspaceId: body.workspaceId, memberId: body.memberId, path: 'body' }]);
      const startedAtMs = body.startedAt ? notInFuture(Date.parse(body.startedAt), 'startedAt') : undefined;
      if (startedAtMs !== undefined) assertStartInWindow(c.env, startedAtMs, createdAtMs.get(body.workspaceId) ?? 0);
      const { startedAt: _s, ...rest } = body;
      await claimResourceId(c.env, body.id, body.workspaceId);
      const result = unwrap(await ledgerFor(c.env, body.workspaceId).startResource({ ...rest, startedAtMs }));
      return c.json(result.value, 201);
    })
    .openapi(stopResourceRoute, async (c) => {
      const { id } = c.req.valid('param');
      const body = (c.req.valid('json') as { stoppedAt?: string } | undefined) ?? {};
      const stoppedAtMs = body.stoppedAt ? notInFuture(Date.parse(body.stoppedAt), 'stoppedAt') : null;
      const workspaceId = await resourceWorkspaceId(c.env, id);
      return c.json(unwrap(await ledgerFor(c.env, workspaceId).stopResource(workspaceId, id, stoppedAtMs)).value, 200);
    })
    .openapi(resizeResourceRoute, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const atMs = body.at ? notInFuture(Date.parse(body.at), 'at') : null;
      const workspaceId = await resourceWorkspaceId(c.env, id);
      return c.json(unwrap(await ledgerFor(c.env, workspaceId).resizeVolume(workspaceId, id, body.sizeBytes, atMs)).value, 200);
    });
