import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { transactions, transactionStatuses, transactionTypes } from '../../../schema/tables';
import { requireApiKey } from '../../auth/require_api_key';
import { notFound } from '../../errors/api_error';
import { toTransactionView } from '../../ledger/transaction_view';
import { decodeCursor, encodeCursor } from '../../lib/history_cursor';
import { errorResponses, jsonResponse, queryInt, TransactionIdSchema, TransactionSchema } from '../../openapi/schemas';
import type { Router } from '../router';

const HistoryQuery = z.object({
  limit: queryInt(1, 200).optional().openapi({ type: 'integer', minimum: 1, maximum: 200, default: 50 }),
  cursor: z.string().min(1).max(200).optional(),
  type: z.enum(transactionTypes).optional(),
  status: z.enum(transactionStatuses).optional(),
});

const HistoryPage = z
  .object({ data: z.array(TransactionSchema), nextCursor: z.string().nullable() })
  .openapi('TransactionPage');

export const getHistoryRoute = createRoute({
  method: 'get',
  path: '/v1/billing/credits/history',
  tags: ['billing'],
  summary: 'The ledger, newest first, with keyset pagination',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: { query: HistoryQuery },
  responses: { 200: jsonResponse('A page of transactions.', HistoryPage), ...errorResponses(400, 401, 429) },
});

export const getTransactionRoute = createRoute({
  method: 'get',
  path: '/v1/billing/transactions/{id}',
  tags: ['billing'],
  summary: 'One transaction of this workspace',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: { params: z.object({ id: TransactionIdSchema }) },
  responses: { 200: jsonResponse('The transaction.', TransactionSchema), ...errorResponses(400, 401, 404, 429) },
});

export const registerHistoryRoutes = (app: Router) =>
  app
    .openapi(getHistoryRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const query = c.req.valid('query');
      const limit = query.limit ?? 50;
      const filters: SQL[] = [eq(transactions.workspaceId, workspaceId)];
      if (query.type) filters.push(eq(transactions.type, query.type));
      if (query.status) filters.push(eq(transactions.status, query.status));
      if (query.cursor) filters.push(lt(transactions.seq, decodeCursor(query.cursor)));
      const rows = await drizzle(c.env.DB)
        .select()
        .from(transactions)
        .where(and(...filters))
        .orderBy(desc(transactions.seq))
        .limit(limit + 1)
        .all();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return c.json({ data: page.map(toTransactionView), nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null }, 200);
    })
    .openapi(getTransactionRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const { id } = c.req.valid('param');
      const row = await drizzle(c.env.DB)
        .select()
        .from(transactions)
        .where(and(eq(transactions.id, id), eq(transactions.workspaceId, workspaceId)))
        .get();
      if (!row) throw notFound('transaction');
      return c.json(toTransactionView(row), 200);
    });
