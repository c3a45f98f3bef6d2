import { and, eq, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { balances } from '../../schema/tables';

// The balance an entry leaves, read back inside its batch, and only if the guarded balance update
// just before it changed exactly one row (SQLite's changes() sees the previous statement of the
// same batch). Otherwise NULL, which the completed-entry CHECK turns into an aborted batch.
export const balanceAfterGuard = (workspaceId: string) =>
  sql`(SELECT ${balances.balanceMicros} FROM ${balances} WHERE ${balances.workspaceId} = ${workspaceId} AND changes() = 1)`;

/** What a guarded balance update expects D1 to hold (the cached state, or a group's running balance). */
export interface BalanceGuard {
  workspaceId: string;
  balanceMicros: number;
  open: { settledThroughMs: number };
}

/**
 * The guarded balance update every money batch starts with. Settlement also moves the settled
 * point, and with it the oldest hour in which the object still holds events (null: none).
 */
export function moveBalance(
  db: DrizzleD1Database,
  state: BalanceGuard,
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
