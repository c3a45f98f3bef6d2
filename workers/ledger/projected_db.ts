import type { DrizzleD1Database } from 'drizzle-orm/d1';
import type { Env } from '../env';
import { ledgerDbOf } from '../storage/databases';
import { unwrap } from './ledger_result';
import { ledgerFor } from './ledger_stub';

/**
 * The workspace's ledger shard, for reading its entries and balance: deductions and adjustments are
 * answered once durable in the ledger object and reach D1 a moment later (entry_journal.ts), so a
 * reader first asks the object to finish projecting what it answered (at once when nothing waits),
 * at the same time as it looks the shard up. A caller then sees every entry it was answered.
 */
export async function projectedLedgerDbOf(env: Env, workspaceId: string): Promise<DrizzleD1Database> {
  const [db, projected] = await Promise.all([ledgerDbOf(env, workspaceId), ledgerFor(env, workspaceId).projected()]);
  unwrap(projected);
  return db;
}
