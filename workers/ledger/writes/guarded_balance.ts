import { simBroken } from '../../lib/sim_hooks';
import { sql } from 'drizzle-orm';
import { balances } from '../../../schema/tables';
import type { PlainStatement } from './group_batch';

// The balance an entry leaves, read back inside its batch, and only if the guarded balance update
// just before it changed exactly one row (SQLite's changes() sees the previous statement of the
// same batch). Otherwise NULL, which the completed-entry CHECK turns into an aborted batch.
export const balanceAfterGuard = (workspaceId: string) =>
  sql`(SELECT ${balances.balanceMicros} FROM ${balances} WHERE ${balances.workspaceId} = ${workspaceId} AND changes() = 1)`;

/** The same read-back in constant SQL: `workspaceParam` is the statement's placeholder for the workspace id (e.g. `?2`). */
export const balanceAfterGuardSql = (workspaceParam: string) => `(SELECT balance_micros FROM balances WHERE workspace_id = ${workspaceParam} AND changes() = 1)`;

/** What a guarded balance update expects D1 to hold (the cached state, or a group's running balance). */
export interface BalanceGuard {
  workspaceId: string;
  balanceMicros: number;
  open: { settledThroughMs: number };
}

/**
 * The guarded balance update every money batch starts with: it changes nothing unless D1 holds the
 * balance and settled point the object expected. Constant SQL bound to its values (it runs for every
 * group of entries, so it is not built by the query builder each time); settlement's variant, which
 * also moves the settled point, is in usage/settle_hour.ts.
 */
const MOVE_BALANCE_SQL = `UPDATE balances SET balance_micros = balance_micros + ?1, updated_at_ms = ?2
   WHERE workspace_id = ?3 AND balance_micros = ?4 AND settled_through_ms = ?5
  RETURNING balance_micros`;

export function moveBalance(state: BalanceGuard, deltaMicros: number, nowMs: number): PlainStatement {
  // (One micro of drift only under the simulator's test-only switch: proves its balance check fails.)
  const drift = deltaMicros !== 0 && simBroken('balance_drift') ? 1 : 0;
  return { sql: MOVE_BALANCE_SQL, params: [deltaMicros + drift, nowMs, state.workspaceId, state.balanceMicros, state.open.settledThroughMs] };
}
