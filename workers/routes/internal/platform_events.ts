import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { platformEvents } from '../../../schema/tables';
import { iso } from '../../lib/time';
import { errorResponses, jsonResponse, queryInt, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';
import { assertWorkspaceExists } from './workspace_exists';

const PlatformEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    createdAt: z.string(),
    workspaceId: z.string(),
    data: z.record(z.string(), z.unknown()),
    delivery: z.object({
      state: z.enum(['pending', 'delivered', 'not_configured']),
      attempts: z.int(),
      lastAttemptAt: z.string().nullable(),
      lastError: z.string().nullable(),
      deliveredAt: z.string().nullable(),
    }),
  })
  .openapi('PlatformEvent');

export const listPlatformEventsRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/events',
  tags: ['internal'],
  summary: "A workspace's recent platform notifications and their delivery state",
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    query: z.object({
      limit: queryInt(1, 200).optional().openapi({ type: 'integer', default: 50 }),
      type: z.enum(['instance.terminated', 'storage.suspended', 'storage.restored', 'balance.low', 'auto_recharge.failed']).optional(),
    }),
  },
  responses: { 200: jsonResponse('Newest first.', z.object({ data: z.array(PlatformEventSchema) })), ...errorResponses(400, 401, 404) },
});

export const registerPlatformEventRoutes = (app: Router) =>
  app.openapi(listPlatformEventsRoute, async (c) => {
    const { ws } = c.req.valid('param');
    const query = c.req.valid('query');
    await assertWorkspaceExists(c.env, ws);
    const rows = await drizzle(c.env.DB)
      .select()
      .from(platformEvents)
      .where(and(eq(platformEvents.workspaceId, ws), query.type ? eq(platformEvents.type, query.type) : undefined))
      .orderBy(desc(platformEvents.createdAtMs), desc(platformEvents.id))
      .limit(query.limit ?? 50)
      .all();
    return c.json(
      {
        data: rows.map((r) => ({
          id: r.id,
          type: r.type,
          createdAt: iso(r.createdAtMs),
          workspaceId: r.workspaceId,
          data: JSON.parse(r.dataJson) as Record<string, unknown>,
          delivery: {
            state: r.deliveryState as 'pending' | 'delivered' | 'not_configured',
            attempts: r.attempts,
            lastAttemptAt: r.lastAttemptAtMs === null ? null : iso(r.lastAttemptAtMs),
            lastError: r.lastError,
            deliveredAt: r.deliveredAtMs === null ? null : iso(r.deliveredAtMs),
          },
        })),
      },
      200,
    );
  });
