import { simBroken } from '../lib/sim_hooks';
import { and, eq, inArray } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import type { z } from '@hono/zod-openapi';
import { creditBlocks, creditFunding, settlementLines, transactions } from '../../schema/tables';
import type { Env } from '../env';
import { projectedLedgerDbOf } from '../ledger/projected_db';
import { ledgerDbOf } from '../storage/databases';
import { notFound } from '../errors/api_error';
import { toTransactionView, type TransactionView } from '../ledger/transaction_view';
import { withActionUrls } from './action_urls';
import type { TransactionLineSchema } from '../openapi/transaction_lines_schema';
import { byPaymentOrder } from '../usage/price_hour';
import { runtimeText } from './runtime_text';

export type TransactionLine = z.infer<typeof TransactionLineSchema>;
type LineRow = typeof settlementLines.$inferSelect;

const selectLines = (db: DrizzleD1Database, workspaceId: string, transactionIds: string[]) =>
  db
    .select()
    .from(settlementLines)
    .where(and(inArray(settlementLines.transactionId, transactionIds), eq(settlementLines.workspaceId, workspaceId)));

/** Settled lines by transaction, each list in the order a short balance pays them. */
function linesByTransaction(rows: readonly LineRow[]): Map<string, TransactionLine[]> {
  const byTransaction = new Map<string, LineRow[]>();
  for (const r of rows) byTransaction.set(r.transactionId, [...(byTransaction.get(r.transactionId) ?? []), r]);
  return new Map([...byTransaction].map(([id, lines]) => [id, toTransactionLines(lines)]));
}

export interface FundingLineView {
  blockId: string;
  category: 'paid' | 'promotional';
  amountMicros: number;
}

/** Which credit blocks paid for a transaction, in the order they were drawn. */
const selectFunding = (db: DrizzleD1Database, workspaceId: string, transactionId: string) =>
  db
    .select({ blockId: creditFunding.blockId, category: creditBlocks.category, amountMicros: creditFunding.amountMicros })
    .from(creditFunding)
    .innerJoin(creditBlocks, eq(creditBlocks.id, creditFunding.blockId))
    .where(and(eq(creditFunding.transactionId, transactionId), eq(creditFunding.workspaceId, workspaceId)))
    .orderBy(creditFunding.position);

/** Types of entries that take credit (a debit shows its funding even when nothing was taken: all forgiven). */
const DEBIT_TYPES: ReadonlySet<string> = new Set(['usage', 'expiration', 'refund']);

type TransactionDetail = TransactionView & { lines?: TransactionLine[]; funding?: FundingLineView[]; actionUrl?: string | null };

/**
 * One transaction of the workspace (404 for another workspace's); a settled hour adds its lines, and
 * a debit the credit blocks that paid for it. From a far region, the replica session is asked first
 * (it holds every write made through that region, regions/far_reads.ts); a transaction it does not
 * know yet (made elsewhere, not yet replicated) is looked up as at home.
 */
export async function readTransaction(env: Env, workspaceId: string, transactionId: string, replica?: DrizzleD1Database): Promise<TransactionDetail> {
  const near = replica ? await transactionIn(replica, workspaceId, transactionId) : null;
  if (near) return near;
  const found = await transactionIn(await projectedLedgerDbOf(env, workspaceId), workspaceId, transactionId);
  if (!found) throw notFound('transaction');
  return found;
}

async function transactionIn(db: DrizzleD1Database, workspaceId: string, transactionId: string): Promise<TransactionDetail | null> {
  const [rows, lines, funding] = await db.batch([
    db
      .select()
      .from(transactions)
      // (Unscoped only under the simulator's test-only switch: proves its tenancy check fails.)
      .where(simBroken('tenancy_leak') ? eq(transactions.id, transactionId) : and(eq(transactions.id, transactionId), eq(transactions.workspaceId, workspaceId))),
    selectLines(db, workspaceId, [transactionId]),
    selectFunding(db, workspaceId, transactionId),
  ]);
  const row = rows[0];
  if (!row) return null;
  const view = (await withActionUrls(db, workspaceId, [toTransactionView(row)]))[0]!;
  const own = linesByTransaction(lines).get(transactionId);
  const debit = row.status === 'completed' && (row.amountMicros < 0 || DEBIT_TYPES.has(row.type));
  return { ...view, ...(row.type === 'usage' && own ? { lines: own } : {}), ...(debit ? { funding } : {}) };
}

/**
 * One transaction row of the workspace as D1 has it now (not waiting for the ledger object's
 * projection), or undefined; another workspace's is undefined too.
 */
export async function readTransactionRow(env: Env, workspaceId: string, transactionId: string) {
  return (await ledgerDbOf(env, workspaceId))
    .select()
    .from(transactions)
    .where(and(eq(transactions.id, transactionId), eq(transactions.workspaceId, workspaceId)))
    .get();
}

/** Which credit blocks paid for several debits of one workspace (the dashboard's history page), in one query. */
export async function readTransactionFunding(env: Env, workspaceId: string, transactionIds: string[]): Promise<Map<string, FundingLineView[]>> {
  const byTransaction = new Map<string, FundingLineView[]>();
  if (transactionIds.length === 0) return byTransaction;
  // Deductions are journaled first: read once the object has projected them.
  const db = await projectedLedgerDbOf(env, workspaceId);
  const rows = await db
    .select({ transactionId: creditFunding.transactionId, blockId: creditFunding.blockId, category: creditBlocks.category, amountMicros: creditFunding.amountMicros })
    .from(creditFunding)
    .innerJoin(creditBlocks, eq(creditBlocks.id, creditFunding.blockId))
    .where(and(inArray(creditFunding.transactionId, transactionIds), eq(creditFunding.workspaceId, workspaceId)))
    .orderBy(creditFunding.transactionId, creditFunding.position);
  for (const { transactionId, ...line } of rows) byTransaction.set(transactionId, [...(byTransaction.get(transactionId) ?? []), line]);
  return byTransaction;
}

/** The lines of several settled hours of one workspace (the dashboard's history page), in one query. */
export async function readTransactionLines(env: Env, workspaceId: string, transactionIds: string[]): Promise<Map<string, TransactionLine[]>> {
  if (transactionIds.length === 0) return new Map();
  // Settlement lines only: written by settlement, never journaled; no need to wait for the object.
  return linesByTransaction(await selectLines(await ledgerDbOf(env, workspaceId), workspaceId, transactionIds));
}

/** The fields of a priced line that its view needs (a settlement_lines row, or a line of the open hours). */
type LineFacts = Pick<LineRow, 'kind' | 'lineKey' | 'inputTokens' | 'outputTokens' | 'count' | 'runtimeMs' | 'byteSeconds' | 'costMicros' | 'forgivenMicros' | 'description'>;

/** Lines in the order a short balance pays them, each as the API shows it. */
export const toTransactionLines = (lines: readonly LineFacts[]): TransactionLine[] => [...lines].sort(byPaymentOrder).map(toLine);

function toLine(l: LineFacts): TransactionLine {
  const amountMicros = -(l.costMicros - l.forgivenMicros) || 0;
  const base = { amountMicros, forgivenMicros: l.forgivenMicros };
  switch (l.kind) {
    case 'model':
      return {
        kind: 'model',
        description: `${l.lineKey}: ${fmt(l.inputTokens)} input + ${fmt(l.outputTokens)} output tokens`,
        quantity: l.inputTokens + l.outputTokens,
        unit: 'tokens',
        ...base,
      };
    case 'tool':
      return { kind: 'tool', description: `Tool executions: ${fmt(l.count)}`, quantity: l.count, unit: 'executions', ...base };
    case 'instance':
      return { kind: 'instance', description: `Instance ${l.lineKey}: ${runtimeText(l.runtimeMs)}`, quantity: l.runtimeMs / 1000, unit: 'seconds', ...base };
    case 'volume': {
      const gb = l.runtimeMs > 0 ? Math.round((l.byteSeconds * 1000) / l.runtimeMs / 1e6) / 1000 : 0;
      return { kind: 'volume', description: `Volume ${l.lineKey}: ${gb} GB for ${runtimeText(l.runtimeMs)}`, quantity: l.byteSeconds, unit: 'byte_seconds', ...base };
    }
    default:
      return { kind: 'charge', description: l.description ?? 'Charge', quantity: l.count || 1, unit: 'charges', ...base };
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');
