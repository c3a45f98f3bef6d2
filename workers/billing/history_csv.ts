import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { transactions, type transactionStatuses, type transactionTypes } from '../../schema/tables';
import type { Env } from '../env';
import { projectedLedgerDbOf } from '../ledger/projected_db';
import { MICROS_PER_CREDIT } from '../lib/money';
import { assertSafeMicros } from '../usage/amount_limits';
import { iso } from '../lib/time';

// The ledger as CSV, shared by GET /v1/billing/credits/history.csv and the dashboard's download.
//
// - One row per stored transaction, newest first (as the JSON history). The open hour's
//   `accumulating` row is NOT included: it is not a ledger entry (its amount moves every second)
//   and becomes one `usage` row when the hour settles. So the completed amounts of an export always
//   sum to the balance change they describe, and exporting twice within an hour gives the same rows.
// - Amounts in credits with 6 decimals, from integer micros by integer arithmetic (no floats).
// - Text cells that a spreadsheet would run as a formula (= + - @, tab, CR first) get a leading `'`.
// - Streamed: pages of CSV_PAGE_ROWS by keyset on seq, so a 100,000-row ledger is never in memory.

export const CSV_PAGE_ROWS = 500;

export const CSV_COLUMNS = [
  'id',
  'created_at',
  'type',
  'status',
  'description',
  'amount_credits',
  'balance_after_credits',
  'forgiven_credits',
  'invoice_url',
] as const;

export interface HistoryCsvFilters {
  type?: (typeof transactionTypes)[number];
  status?: (typeof transactionStatuses)[number];
}

/**
 * -412300 micros → "-0.412300": integer remainder and an exact division of what is left, never a
 * float's rounding. Only a safe integer is an amount (amount_limits.ts); anything else is refused.
 */
export function creditsFromMicros(micros: number): string {
  assertSafeMicros(micros, 'CSV amount');
  const abs = Math.abs(micros);
  const remainder = abs % MICROS_PER_CREDIT;
  const whole = (abs - remainder) / MICROS_PER_CREDIT;
  const fraction = remainder.toString().padStart(6, '0');
  return `${micros < 0 ? '-' : ''}${whole}.${fraction}`;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell: formula-guarded, then quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvTextCell(value: string): string {
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

type CsvRow = Pick<typeof transactions.$inferSelect, 'seq' | 'id' | 'createdAtMs' | 'type' | 'status' | 'description' | 'amountMicros' | 'balanceAfterMicros' | 'forgivenMicros' | 'invoiceUrl'>;

export function csvLine(row: Omit<CsvRow, 'seq'>): string {
  return [
    row.id,
    iso(row.createdAtMs),
    row.type,
    row.status,
    csvTextCell(row.description),
    creditsFromMicros(row.amountMicros),
    row.balanceAfterMicros === null ? '' : creditsFromMicros(row.balanceAfterMicros),
    creditsFromMicros(row.forgivenMicros),
    row.invoiceUrl === null ? '' : csvTextCell(row.invoiceUrl),
  ].join(',') + '\r\n';
}

/** `burnrate-history-<ws>-<date>[-type][-status].csv`: tells two downloads apart in a folder. */
export function historyCsvFilename(workspaceId: string, filters: HistoryCsvFilters, nowMs: number): string {
  return ['burnrate-history', workspaceId, iso(nowMs).slice(0, 10), filters.type, filters.status].filter(Boolean).join('-') + '.csv';
}

/** The workspace's ledger as a CSV byte stream: the header, then one page of rows per pull. */
export function historyCsvStream(env: Env, workspaceId: string, filters: HistoryCsvFilters): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  // The workspace's shard, looked up on the first pull (this function returns the stream at once).
  let shard: ReturnType<typeof projectedLedgerDbOf> | null = null;
  let beforeSeq: number | null = null;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(CSV_COLUMNS.join(',') + '\r\n'));
    },
    // Called again only when the reader wants more: a slow client holds one page at a time.
    async pull(controller) {
      const where: SQL[] = [eq(transactions.workspaceId, workspaceId)];
      if (filters.type) where.push(eq(transactions.type, filters.type));
      if (filters.status) where.push(eq(transactions.status, filters.status));
      if (beforeSeq !== null) where.push(lt(transactions.seq, beforeSeq));
      shard ??= projectedLedgerDbOf(env, workspaceId);
      const rows: CsvRow[] = await (await shard)
        .select({
          seq: transactions.seq,
          id: transactions.id,
          createdAtMs: transactions.createdAtMs,
          type: transactions.type,
          status: transactions.status,
          description: transactions.description,
          amountMicros: transactions.amountMicros,
          balanceAfterMicros: transactions.balanceAfterMicros,
          forgivenMicros: transactions.forgivenMicros,
          invoiceUrl: transactions.invoiceUrl,
        })
        .from(transactions)
        .where(and(...where))
        .orderBy(desc(transactions.seq))
        .limit(CSV_PAGE_ROWS)
        .all();
      if (rows.length > 0) {
        controller.enqueue(encoder.encode(rows.map(csvLine).join('')));
        beforeSeq = rows[rows.length - 1]!.seq;
      }
      if (rows.length < CSV_PAGE_ROWS) controller.close();
    },
  }, { highWaterMark: 0 });
}

/** The headers of a CSV download (an attachment, never cached: it is one workspace's money). */
export function historyCsvHeaders(filename: string): Record<string, string> {
  return {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'private, no-store',
  };
}
