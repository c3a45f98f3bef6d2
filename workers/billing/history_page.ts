import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { balances, transactions, type transactionStatuses, type transactionTypes } from '../../schema/tables';
import type { Env } from '../env';
import { ledgerDbOf } from '../storage/databases';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import type { CreditSummary } from '../ledger/ledger_types';
import { toTransactionView, type TransactionView } from '../ledger/transaction_view';
import { withActionUrls } from './action_urls';
import { decodeCursor, encodeCursor } from '../lib/history_cursor';
import { iso } from '../lib/time';

export interface HistoryQuery {
  limit: number;
  cursor?: string;
  type?: (typeof transactionTypes)[number];
  status?: (typeof transactionStatuses)[number];
}

export interface HistoryPage {
  data: TransactionView[];
  nextCursor: string | null;
}

/** The open hour's usage as the one `accumulating` transaction, or null when there is none (or the filter excludes it). */
async function accumulatingRow(env: Env, workspaceId: string, type?: string, status?: string, known?: CreditSummary): Promise<TransactionView | null> {
  if ((type && type !== 'usage') || (status && status !== 'accumulating')) return null;
  const summary = known ?? unwrap(await ledgerFor(env, workspaceId).creditSummary(workspaceId)).value;
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

/**
 * The stored rows of a history page, newest first. Every filter (type, status, both, with or
 * without a cursor) is answered from an index that ends in seq: transactions_workspace_seq,
 * _type_seq, _status_seq, _type_status_seq (see test/ledger/history_index.test.ts).
 */
export function historyRowsQuery(db: DrizzleD1Database, workspaceId: string, query: Omit<HistoryQuery, 'limit'>, limit: number) {
  const filters: SQL[] = [eq(transactions.workspaceId, workspaceId)];
  if (query.type) filters.push(eq(transactions.type, query.type));
  if (query.status) filters.push(eq(transactions.status, query.status));
  if (query.cursor) filters.push(lt(transactions.seq, decodeCursor(query.cursor)));
  return db
    .select()
    .from(transactions)
    .where(and(...filters))
    .orderBy(desc(transactions.seq))
    .limit(limit);
}

/**
 * The stored rows of the page, including every entry the ledger object answered before the call.
 * Deductions reach D1 a moment after their answer (workers/ledger/writes/entry_journal.ts): the object's
 * answered seq and D1's projected seq are read at the same time as the rows (one round trip's
 * wait); only when D1 was behind does the page wait for the projection and read again.
 */
async function freshHistoryRows(env: Env, workspaceId: string, query: HistoryQuery, replica?: DrizzleD1Database) {
  // From a far region, a session from the region's read floor already holds every write made
  // through that region (regions/far_reads.ts): no call home for the answered seq.
  if (replica) {
    const [rows, balance] = await replica.batch([
      historyRowsQuery(replica, workspaceId, query, query.limit + 1),
      replica.select({ settledThroughMs: balances.settledThroughMs }).from(balances).where(eq(balances.workspaceId, workspaceId)),
    ]);
    return { db: replica, rows, replicaSettledThroughMs: balance[0]?.settledThroughMs ?? 0 };
  }
  const ledger = ledgerFor(env, workspaceId);
  const read = (db: DrizzleD1Database) =>
    db.batch([
      historyRowsQuery(db, workspaceId, query, query.limit + 1),
      db.select({ seq: balances.projectedJournalSeq }).from(balances).where(eq(balances.workspaceId, workspaceId)),
    ]);
  const [answeredSeq, [db, [rows, projected]]] = await Promise.all([
    ledger.answeredSeq(),
    ledgerDbOf(env, workspaceId).then(async (d) => [d, await read(d)] as const),
  ]);
  if ((projected[0]?.seq ?? 0) >= answeredSeq) return { db, rows };
  unwrap(await ledger.projected());
  return { db, rows: (await read(db))[0] };
}

/**
 * One page of the ledger, newest first (keyset pagination on seq); shared by the API and the
 * dashboard. A caller that already holds the credit summary passes it, saving a ledger call; a
 * read from a far region passes its replica session (regions/far_reads.ts).
 */
export async function historyPage(env: Env, workspaceId: string, query: HistoryQuery, summary?: CreditSummary, replica?: DrizzleD1Database): Promise<HistoryPage> {
  // The open hour's usage is not a stored row (its amount moves every second): the first page
  // shows it on top, as the one `accumulating` transaction.
  // Asked of the ledger object and of D1 at once (one round trip's wait, not two): the stored rows
  // are read as if the open hour's row took no place, and cut to fit once it is known.
  const [open, stored] = await Promise.all([
    query.cursor ? null : accumulatingRow(env, workspaceId, query.type, query.status, summary),
    freshHistoryRows(env, workspaceId, query, replica),
  ]);
  // A far page's summary copy and replica that disagree on where settlement is (an hour settled
  // between them) could show an hour twice or not at all: read as at home instead.
  if ('replicaSettledThroughMs' in stored && summary?.settledThroughMs !== undefined && stored.replicaSettledThroughMs !== summary.settledThroughMs) {
    return historyPage(env, workspaceId, query);
  }
  const { db, rows } = stored;
  const dbLimit = open ? query.limit - 1 : query.limit;
  const page = rows.slice(0, dbLimit);
  const data = [...(open ? [open] : []), ...(await withActionUrls(db, workspaceId, page.map(toTransactionView)))];
  if (rows.length <= dbLimit) return { data, nextCursor: null };
  // With limit=1 the open hour's row fills the first page: the next one starts at the newest stored row.
  const last = page[page.length - 1];
  return { data, nextCursor: encodeCursor(last ? last.seq : rows[0]!.seq + 1) };
}
