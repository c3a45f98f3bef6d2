import { and, eq, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { balances } from '../../schema/tables';
import type { LedgerState } from './load_state';

// The balance an entry leaves, read back inside its batch, and only if the guarded balance update
// just before it changed exactly one row (SQLite's changes() sees the previous statement of the
// same batch). Otherwise NULL, which the completed-entry CHECK turns into an aborted batch.
// `laterMicros`: what entries written after this one in the same batch (a group commit) move, so
// that this entry records the balance as it stood after itself.
export const balanceAfterGuard = (workspaceId: string, laterMicros = 0) =>
  sql`(SELECT ${balances.balanceMicros} - ${laterMicros} FROM ${balances} WHERE ${balances.workspaceId} = ${workspaceId} AND changes() = 1)`;

// The balance a later entry of a group commit leaves (the first entry of the batch carries the
// guard above: if the balance update was refused, that entry's NULL has already aborted the batch).
export const balanceAfterInGroup = (workspaceId: string, laterMicros: number) =>
  sql`(SELECT ${balances.balanceMicros} - ${laterMicros} FROM ${balances} WHERE ${balances.workspaceId} = ${workspaceId})`;

/**
 * The guarded balance update every money batch starts with. Settlement also moves the settled
 * point, and with it the oldest hour in which the object still holds events (null: none).
 */
export function moveBalance(
  db: DrizzleD1Database,
  state: LedgerState,
  deltaMicros: number,
  nowMs: number,
  settled?: { settledThroughMs: number; oldestOpenEventHourMs: number | null },
) {
  return db
    .update(balances)
    .set({
      balanceMicros: sql`${balances.balanceMicros} + ${deltaMicros}`,
      updatedAtMs: nowMs,
      ...(settled ?? {}),
    })
    .where(
      and(
        eq(balances.workspaceId, state.workspaceId),
        eq(balances.balanceMicros, state.balanceMicros),
        eq(balances.settledThroughMs, state.open.settledThroughMs),
      ),
    )
    .returning({ balanceMicros: balances.balanceMicros });
}
