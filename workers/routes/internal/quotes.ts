import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { resources, workspaces } from '../../../schema/tables';
import { ApiError } from '../../errors/api_error';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { errorResponses, jsonResponse, queryInt, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';

const QuoteSchema = z
  .object({
    costMicros: z.int(),
    affordable: z.boolean(),
    affordableSeconds: z.int().nullable().openapi({ description: 'How long the spendable balance lasts with this instance added to what already runs; null when nothing costs.' }),
    microsPerHour: z.int(),
  })
  .openapi('SandboxRuntimeQuote');

export const quoteRoute = createRoute({
  method: 'get',
  path: '/internal/v1/quotes/sandbox-runtime',
  tags: ['internal'],
  summary: 'What running an instance type for some seconds would cost, and whether it is affordable',
  security: [{ internalToken: [] }],
  request: {
    query: z.object({
      workspaceId: WorkspaceIdSchema,
      instanceType: z.string().min(1).max(100),
      seconds: queryInt(1, 366 * 24 * 3600).openapi({ type: 'integer', example: 3600 }),
    }),
  },
  responses: { 200: jsonResponse('The quote.', QuoteSchema), ...errorResponses(400, 401, 404) },
});

export const storageQuotaRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/storage-quota',
  tags: ['internal'],
  summary: 'Storage in use and whether volumes are accessible',
  security: [{ internalToken: [] }],
  request: { params: z.object({ ws: WorkspaceIdSchema }) },
  responses: { 200: jsonResponse('The quota.', z.object({ usedBytes: z.int(), accessible: z.boolean() }).openapi('StorageQuota')), ...errorResponses(400, 401, 404) },
});

export const registerQuoteRoutes = (app: Router) =>
  app
    .openapi(quoteRoute, async (c) => {
      const q = c.req.valid('query');
      const quote = unwrap(await ledgerFor(c.env, q.workspaceId).quoteSandboxRuntime(q.workspaceId, q.instanceType, q.seconds)).value;
      if (!quote) throw new ApiError('invalid_request', `instanceType: unknown instance type "${q.instanceType}".`);
      return c.json(quote, 200);
    })
    .openapi(storageQuotaRoute, async (c) => {
      const { ws } = c.req.valid('param');
      const db = drizzle(c.env.DB);
      const [usage, workspace] = await db.batch([
        db
          .select({ used: sql<number>`COALESCE(SUM(${resources.sizeBytes}), 0)` })
          .from(resources)
          .where(and(eq(resources.workspaceId, ws), eq(resources.kind, 'volume'), isNull(resources.stoppedAtMs))),
        db.select({ suspendedAtMs: workspaces.storageSuspendedAtMs }).from(workspaces).where(eq(workspaces.id, ws)),
      ]);
      if (!workspace[0]) throw new ApiError('not_found', 'No such workspace.');
      // Volumes are kept while suspended (never deleted); they are only inaccessible.
      return c.json({ usedBytes: usage[0]?.used ?? 0, accessible: workspace[0].suspendedAtMs === null }, 200);
    });
