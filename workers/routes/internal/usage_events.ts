import { createRoute, z } from '@hono/zod-openapi';
import { EX } from '../../openapi/examples';
import { errorResponses, jsonResponse, queryInt, WorkspaceIdSchema } from '../../openapi/schemas';
import { hourOf } from '../../usage/exact_cost';
import { listUsageEvents } from '../../usage/list_usage_events';
import type { Router } from '../router';
import { assertWorkspaceExists } from '../../tenancy/workspace_exists';

const StoredUsageEventSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    memberId: z.string().optional(),
    occurredAt: z.string().openapi({ description: 'When it happened (ISO-8601 UTC).' }),
    billedHour: z.string().openapi({ description: 'The hour it is billed in: its own, or the first open hour when it was reported after its hour was settled.' }),
    type: z.enum(['model', 'tool_execution', 'charge']),
    model: z.string().optional(),
    inputTokens: z.int().optional(),
    outputTokens: z.int().optional(),
    byok: z.boolean().optional(),
    amountMicros: z.int().optional(),
    description: z.string().optional(),
  })
  .openapi('StoredUsageEvent', { description: 'A usage event as it was recorded (the shape it was reported in, with its times resolved).' });

const hourExample = '2026-11-21T10:00:00.000Z';
const eventExample = {
  id: 'llm-call-5f1e9a',
  workspaceId: EX.workspaceId,
  memberId: EX.memberId,
  occurredAt: '2026-11-21T10:41:58.000Z',
  billedHour: hourExample,
  type: 'model' as const,
  model: 'claude-sonnet-4',
  inputTokens: 1200,
  outputTokens: 350,
};

const HourSchema = z.iso
  .datetime({ offset: true })
  .refine((value) => hourOf(Date.parse(value)) === Date.parse(value), 'must be a whole UTC hour (e.g. 2026-11-21T10:00:00Z)')
  .openapi({ description: 'The billed hour, ISO-8601 (a whole hour).', example: hourExample });

export const listUsageEventsRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/usage-events',
  operationId: 'listUsageEvents',
  tags: ['Usage'],
  summary: 'The raw usage events billed in one hour (audit)',
  description:
    "Pages the events of one billed hour, in the order they were recorded, while they are inside the retention window (`USAGE_EVENT_RETENTION_DAYS`, default 35 days). Every settled hour's events are also archived to R2 (`usage-events/<workspace>/<hour>.ndjson.gz`), which keeps them after the window.",
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    query: z.object({
      hour: HourSchema,
      cursor: z.string().min(1).max(400).optional().openapi({ description: 'The nextCursor of the previous page (opaque).', example: 'ZTE6bGxtLWNhbGwtNWYxZTlh' }),
      limit: queryInt(1, 1000).optional().openapi({ type: 'integer', minimum: 1, maximum: 1000, default: 100, example: 100 }),
    }),
  },
  responses: {
    200: jsonResponse(
      'A page of events; nextCursor is null on the last.',
      z.object({ data: z.array(StoredUsageEventSchema), nextCursor: z.string().nullable() }).openapi('UsageEventPage'),
      { data: [eventExample], nextCursor: null },
    ),
    ...errorResponses(['invalid_request', 'hour: before the retention window (35 days); its events are in the usage archive.'], 'unauthenticated', 'not_found'),
  },
});

export const registerUsageEventRoutes = (app: Router) =>
  app.openapi(listUsageEventsRoute, async (c) => {
    const { ws } = c.req.valid('param');
    const query = c.req.valid('query');
    await assertWorkspaceExists(c.env, ws);
    return c.json(await listUsageEvents(c.env, { workspaceId: ws, hourMs: Date.parse(query.hour), cursor: query.cursor, limit: query.limit ?? 100 }), 200);
  });
