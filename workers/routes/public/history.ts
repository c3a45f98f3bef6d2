import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { transactions, transactionStatuses, transactionTypes } from '../../../schema/tables';
import { requireApiKey } from '../../auth/require_api_key';
import { notFound } from '../../errors/api_error';
import { toTransactionView, type TransactionView } from '../../ledger/transaction_view';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { iso } from '../../lib/time';
import type { Env } from '../../env';
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

async function accumulatingRow(env: Env, workspaceId: string, type?: string, status?: string): Promise<TransactionView | null> {
  if ((type && type !== 'usage') || (status && status !== 'accumulating')) return null;
  const summary = unwrap(await ledgerFor(env, workspaceId).creditSummary(workspaceId)).value;
  if (summary.accumulatingMicros <= 0) return null;
  const since = Math.max(summary.openSinceMs, 0);
  return {
    id: `txn_accumulating_${since.toString(36)}`,
    createdAt: iso(since),
    type: 'usage',
    description: `Usage since ${iso(since).slice(0, 16).replace('T', ' ')} UTC (accumulating; settled hourly)`,
    amountMicros: -summary.accumulatingMicros,
    status: 'accumulating',
    invoiceUrl: null,
    balanceAfterMicros: null,
    forgivenMicros: 0,
  };
}

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
      // The open hour's usage is not a stored row (its amount moves every second): the first page
      // shows it on top, as the one `accumulating` transaction.
      const open = query.cursor ? null : await accumulatingRow(c.env, workspaceId, query.type, query.status);
      const dbLimit = open ? limit - 1 : limit;
      const rows = await drizzle(c.env.DB)
        .select()
        .from(transactions)
        .where(and(...filters))
        .orderBy(desc(transactions.seq))
        .limit(dbLimit + 1)
        .all();
      const page = rows.slice(0, dbLimit);
      const last = page[page.length - 1];
      const data = [...(open ? [open] : []), ...page.map(toTransactionView)];
      return c.json({ data, nextCursor: rows.length > dbLimit && last ? encodeCursor(last.seq) : null }, 200);
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
