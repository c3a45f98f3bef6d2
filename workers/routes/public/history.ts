import { createRoute, z } from '@hono/zod-openapi';
import { transactionStatuses, transactionTypes } from '../../../schema/tables';
import { historyPage } from '../../billing/history_page';
import { readTransaction } from '../../billing/read_transaction';
import { requireApiKey } from '../../auth/require_api_key';
import { depositExample, transactionExample } from '../../openapi/examples';
import { transactionDetailExample, TransactionWithLinesSchema } from '../../openapi/transaction_lines_schema';
import { errorResponses, jsonResponse, queryInt, TransactionIdSchema, TransactionSchema } from '../../openapi/schemas';
import { farCreditSummary, farRead, keepBookmark } from '../../regions/far_reads';
import type { Router } from '../router';

const HistoryQuery = z.object({
  limit: queryInt(1, 200).optional().openapi({ type: 'integer', minimum: 1, maximum: 200, default: 50, description: 'Page size.', example: 50 }),
  cursor: z.string().min(1).max(200).optional().openapi({ description: 'The nextCursor of the previous page (opaque).', example: 'djE6MTI4' }),
  type: z.enum(transactionTypes).optional().openapi({ description: 'Only transactions of this type.', example: 'deposit' }),
  status: z.enum(transactionStatuses).optional().openapi({ description: 'Only transactions in this status.', example: 'completed' }),
});

const HistoryPage = z
  .object({ data: z.array(TransactionSchema), nextCursor: z.string().nullable() })
  .openapi('TransactionPage', { example: { data: [transactionExample, depositExample], nextCursor: 'djE6MTI4' } });

export const getHistoryRoute = createRoute({
  method: 'get',
  path: '/v1/billing/credits/history',
  operationId: 'listTransactions',
  tags: ['Billing'],
  summary: 'The ledger, newest first, with keyset pagination',
  description:
    'Amounts are signed micros (+ in, − out). The first page starts with the open hour\'s usage as one `accumulating` transaction when there is any. Pass `nextCursor` as `cursor` for the next page; it is null on the last.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: { query: HistoryQuery },
  responses: {
    200: jsonResponse('A page of transactions.', HistoryPage, { data: [transactionExample, depositExample], nextCursor: 'djE6MTI4' }),
    ...errorResponses(['invalid_request', 'limit: Too big: expected number to be <=200'], 'unauthenticated', 'rate_limited'),
  },
});

export const getTransactionRoute = createRoute({
  method: 'get',
  path: '/v1/billing/transactions/{id}',
  operationId: 'getTransaction',
  tags: ['Billing'],
  summary: 'One transaction of this workspace',
  description:
    "A settled hourly `usage` transaction adds its `lines`: one per model (tokens), tool executions, charge, instance (seconds) and volume (byte-seconds), each with what it took from the balance; they add up to the transaction's amountMicros. A transaction of another workspace is 404, as if it did not exist.",
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: { params: z.object({ id: TransactionIdSchema }) },
  responses: {
    200: jsonResponse('The transaction.', TransactionWithLinesSchema, transactionDetailExample),
    ...errorResponses(['invalid_request', 'id: must be a transaction id (txn_…)'], 'unauthenticated', ['not_found', 'No such transaction in this workspace.'], 'rate_limited'),
  },
});

export const registerHistoryRoutes = (app: Router) =>
  app
    .openapi(getHistoryRoute, async (c) => {
      const query = c.req.valid('query');
      const workspaceId = c.get('auth').workspaceId;
      // From a far region, the first page's accumulating row comes from the region's copy of the summary.
      const accumulating = !query.cursor && (!query.type || query.type === 'usage') && (!query.status || query.status === 'accumulating');
      const [far, farSummary] = await Promise.all([farRead(c.env, c.req.raw, workspaceId), accumulating ? farCreditSummary(c.env, c.req.raw, workspaceId) : null]);
      const page = await historyPage(c.env, workspaceId, { ...query, limit: query.limit ?? 50 }, farSummary ?? undefined, far?.db);
      keepBookmark(c, far);
      return c.json(page, 200);
    })
    .openapi(getTransactionRoute, async (c) => {
      const { id } = c.req.valid('param');
      const workspaceId = c.get('auth').workspaceId;
      const far = await farRead(c.env, c.req.raw, workspaceId);
      const transaction = await readTransaction(c.env, workspaceId, id, far?.db);
      keepBookmark(c, far);
      return c.json(transaction, 200);
    });
