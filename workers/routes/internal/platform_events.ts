import { createRoute, z } from '@hono/zod-openapi';
import { EX } from '../../openapi/examples';
import { errorResponses, jsonResponse, queryInt, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';
import { listPlatformEvents } from '../../notifications/list_platform_events';

const PlatformEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    createdAt: z.string(),
    workspaceId: z.string(),
    // additionalProperties: true rather than zod's `{}`, which Scalar's document validator rejects.
    data: z.record(z.string(), z.unknown()).openapi({ description: 'Event-specific fields (see the README).', additionalProperties: true }),
    delivery: z.object({
      state: z.enum(['pending', 'delivered', 'not_configured']),
      attempts: z.int(),
      lastAttemptAt: z.string().nullable(),
      lastError: z.string().nullable(),
      deliveredAt: z.string().nullable(),
    }),
  })
  .openapi('PlatformEvent', {
    description: 'A notification POSTed to PLATFORM_WEBHOOK_URL, signed with X-Burnrate-Signature; retried until acknowledged.',
  });

const platformEventExample = {
  id: EX.eventId,
  type: 'instance.terminated',
  createdAt: EX.createdAt,
  workspaceId: EX.workspaceId,
  data: { instanceId: EX.resourceId, instanceType: 'cpu-small', memberId: EX.memberId, reason: 'zero_balance', terminatedAt: EX.createdAt },
  delivery: { state: 'delivered' as const, attempts: 1, lastAttemptAt: '2026-11-21T10:00:01.204Z', lastError: null, deliveredAt: '2026-11-21T10:00:01.204Z' },
};

export const listPlatformEventsRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/events',
  operationId: 'listPlatformEvents',
  tags: ['Platform events'],
  summary: "A workspace's recent platform notifications and their delivery state",
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    query: z.object({
      limit: queryInt(1, 200).optional().openapi({ type: 'integer', minimum: 1, maximum: 200, default: 50, example: 20 }),
      type: z
        .enum(['instance.terminated', 'storage.suspended', 'storage.restored', 'balance.low', 'auto_recharge.failed', 'auto_recharge.limit_reached', 'auto_recharge.action_required', 'payment.disputed', 'spend_limit.reached',
          'balance.threshold_crossed', 'balance.depleted', 'balance.recovered', 'instance.termination_scheduled', 'instance.termination_cancelled'])
        .optional()
        .openapi({ description: 'Only events of this type.', example: 'instance.terminated' }),
    }),
  },
  responses: {
    200: jsonResponse('Newest first.', z.object({ data: z.array(PlatformEventSchema) }).openapi('PlatformEventList'), { data: [platformEventExample] }),
    ...errorResponses(['invalid_request', 'limit: Too big: expected number to be <=200'], 'unauthenticated', 'not_found'),
  },
});

export const registerPlatformEventRoutes = (app: Router) =>
  app.openapi(listPlatformEventsRoute, async (c) => c.json(await listPlatformEvents(c.env, c.req.valid('param').ws, c.req.valid('query')), 200));
