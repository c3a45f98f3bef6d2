import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../errors/api_error';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { errorResponses, jsonResponse, queryInt, WorkspaceIdSchema } from '../../openapi/schemas';
import { readStorageQuota } from '../../usage/read_storage_quota';
import type { Router } from '../router';

const QuoteSchema = z
  .object({
    costMicros: z.int().openapi({ description: 'What the instance type costs for `seconds`, in micros (rounded once).' }),
    affordable: z.boolean().openapi({ description: 'Whether the spendable balance covers it, given what already runs.' }),
    affordableSeconds: z.int().nullable().openapi({ description: 'How long the spendable balance lasts with this instance added to what already runs; null when nothing costs.' }),
    microsPerHour: z.int().openapi({ description: 'The instance type\'s price now, micros per hour.' }),
  })
  .openapi('SandboxRuntimeQuote', { example: { costMicros: 36_000, affordable: true, affordableSeconds: 162_125, microsPerHour: 36_000 } });

export const quoteRoute = createRoute({
  method: 'get',
  path: '/internal/v1/quotes/sandbox-runtime',
  operationId: 'quoteSandboxRuntime',
  tags: ['Usage'],
  summary: 'Quote running an instance type for some seconds',
  description: 'What the run would cost at current prices and whether the workspace can afford it now. Records nothing.',
  security: [{ internalToken: [] }],
  request: {
    query: z.object({
      workspaceId: WorkspaceIdSchema,
      instanceType: z.string().min(1).max(100).openapi({ description: 'An instance type of the price list.', example: 'cpu-small' }),
      seconds: queryInt(1, 366 * 24 * 3600).openapi({ type: 'integer', minimum: 1, maximum: 366 * 24 * 3600, description: 'Planned run time in seconds.', example: 3600 }),
    }),
  },
  responses: {
    200: jsonResponse('The quote.', QuoteSchema, { costMicros: 36_000, affordable: true, affordableSeconds: 162_125, microsPerHour: 36_000 }),
    ...errorResponses(['invalid_request', 'instanceType: unknown instance type "gpu-b200".'], 'unauthenticated', 'not_found'),
  },
});

export const storageQuotaRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/storage-quota',
  operationId: 'getStorageQuota',
  tags: ['Usage'],
  summary: 'Storage in use and whether volumes are accessible',
  description: 'At zero balance a workspace\'s volumes become inaccessible (kept, never deleted); a completed deposit makes them accessible again.',
  security: [{ internalToken: [] }],
  request: { params: z.object({ ws: WorkspaceIdSchema }) },
  responses: {
    200: jsonResponse(
      'The quota.',
      z
        .object({
          usedBytes: z.int().openapi({ description: 'Total size of the metered volumes, in bytes.' }),
          accessible: z.boolean().openapi({ description: 'false while storage is suspended for lack of credits.' }),
        })
        .openapi('StorageQuota', { example: { usedBytes: 50_000_000_000, accessible: true } }),
      { usedBytes: 50_000_000_000, accessible: true },
    ),
    ...errorResponses(['invalid_request', 'ws: must be a workspace id (ws_…)'], 'unauthenticated', 'not_found'),
  },
});

export const registerQuoteRoutes = (app: Router) =>
  app
    .openapi(quoteRoute, async (c) => {
      const q = c.req.valid('query');
      const quote = unwrap(await ledgerFor(c.env, q.workspaceId).quoteSandboxRuntime(q.workspaceId, q.instanceType, q.seconds)).value;
      if (!quote) throw new ApiError('invalid_request', `instanceType: unknown instance type "${q.instanceType}".`);
      return c.json(quote, 200);
    })
    .openapi(storageQuotaRoute, async (c) => c.json(await readStorageQuota(c.env, c.req.valid('param').ws), 200));
