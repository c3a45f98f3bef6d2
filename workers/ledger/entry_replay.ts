import { callerIdOf } from './caller_keys';
import { and, eq } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { transactions } from '../../schema/tables';
import type { LedgerResult } from './ledger_result';
import { toTransactionView, type TransactionView } from './transaction_view';

/** The workspace's ledger entry with this idempotency key, if any. */
export async function findByKey(db: DrizzleD1Database, workspaceId: string, key: string) {
  return db
    .select()
    .from(transactions)
    .where(and(eq(transactions.workspaceId, workspaceId), eq(transactions.idempotencyKey, key)))
    .get();
}

/** The answer to a key used before: the stored entry, or a conflict when the request differs. */
export function replay(row: typeof transactions.$inferSelect, requestHash: string): LedgerResult<TransactionView> {
  if (row.requestHash !== requestHash) {
    return { ok: false, code: 'idempotency_conflict', message: `The id "${callerIdOf(row.idempotencyKey)}" was already used with a different request.` };
  }
  return { ok: true, replayed: true, value: toTransactionView(row) };
}
