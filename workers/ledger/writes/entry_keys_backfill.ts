// The key index (entry_journal.ts) decides replays without reading D1, so it must hold every caller
// key of the workspace. A workspace whose entries were written before the object journaled them has
// them only in D1: they are copied into the index once, page by page, when the object first loads
// (for a new workspace that is one empty read); a marker then says the index is complete.
import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { transactions } from '../../../schema/tables';
import { LEDGER_KEY_PREFIXES } from '../caller_keys';
import type { EntryJournal } from './entry_journal';

const PAGE_ROWS = 500;

export async function backfillKeyIndex(db: DrizzleD1Database, workspaceId: string, journal: EntryJournal): Promise<void> {
  // substr, not LIKE: LIKE ignores case, and a caller key `Settle:x` is the caller's.
  const callerKeysOnly: SQL[] = LEDGER_KEY_PREFIXES.map((prefix) => sql`substr(${transactions.idempotencyKey}, 1, ${prefix.length}) <> ${prefix}`);
  let afterSeq = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(transactions)
      .where(and(eq(transactions.workspaceId, workspaceId), gt(transactions.seq, afterSeq), ...callerKeysOnly))
      .orderBy(asc(transactions.seq))
      .limit(PAGE_ROWS);
    journal.index(rows);
    if (rows.length < PAGE_ROWS) break;
    afterSeq = rows[rows.length - 1]!.seq;
  }
  journal.markBackfilled();
}
