// Helpers shared by the ledger test files: direct looks at D1 (bypassing the Worker) and small
// wrappers for calls the generic helpers do not cover. Not a test file (no .test.ts suffix).
import { internal } from '../helpers/api';
export { internalWithHeaders } from '../helpers/api';
export { ledgerStub } from '../helpers/ledger_checks';
import { projected, shardD1Of } from '../helpers/ledger_checks';
import { unique } from '../helpers/fixtures';

export const CREDIT = 1_000_000;

export interface LedgerRow {
  seq: number;
  id: string;
  workspace_id: string;
  idempotency_key: string;
  type: string;
  status: string;
  description: string;
  amount_micros: number;
  forgiven_micros: number;
  balance_after_micros: number | null;
  created_at_ms: number;
}

/** Every ledger row of a workspace, oldest first, read straight from D1. */
export async function ledgerRows(workspaceId: string): Promise<LedgerRow[]> {
  await projected(workspaceId);
  const { results } = await shardD1Of(workspaceId).prepare('SELECT * FROM transactions WHERE workspace_id = ? ORDER BY seq').bind(workspaceId).all<LedgerRow>();
  return results;
}

/** The balances row of a workspace, read straight from D1 (null when there is none). */
export async function balanceRow(workspaceId: string): Promise<number | null> {
  await projected(workspaceId);
  const row = await shardD1Of(workspaceId).prepare('SELECT balance_micros FROM balances WHERE workspace_id = ?').bind(workspaceId).first<{ balance_micros: number }>();
  return row ? row.balance_micros : null;
}

/** Sum of the completed ledger entries of a workspace, read straight from D1. */
export async function completedSum(workspaceId: string): Promise<number> {
  await projected(workspaceId);
  const row = await shardD1Of(workspaceId).prepare(`SELECT COALESCE(SUM(amount_micros), 0) AS s FROM transactions WHERE workspace_id = ? AND status = 'completed'`)
    .bind(workspaceId)
    .first<{ s: number }>();
  return row!.s;
}

export const creditCheck = (workspaceId: string, amountMicros: number) =>
  internal('GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=${amountMicros}`);

/**
 * An adjustment through the API; once answered, waits until D1 holds it too (as the grant and
 * deduct fixtures do: tests read D1, or write to it behind the object, next).
 */
export async function adjust(workspaceId: string, amountMicros: number, id: string, description = 'Test adjustment') {
  const res = await internal('POST', '/internal/v1/adjustments', { id, workspaceId, amountMicros, description });
  if (res.status === 201) await projected(workspaceId);
  return res;
}

/** A ledger INSERT written straight to D1 (bypassing the ledger object), with sensible defaults; the caller picks what matters. */
export function insertEntry(
  workspaceId: string,
  fields: { key?: string; status?: 'completed' | 'pending' | 'failed'; type?: string; amountMicros: number; balanceAfterMicros?: number | null },
) {
  const nowMs = Date.now();
  const id = `txn_${unique('direct').replace(/[^A-Za-z0-9]/g, '_')}`;
  const statement = shardD1Of(workspaceId)
    .prepare(
      `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros,
                                 forgiven_micros, balance_after_micros, created_at_ms, settled_at_ms)
       VALUES (?, ?, ?, 'test-hash', ?, ?, 'Inserted directly into D1', ?, 0, ?, ?, ?)`,
    )
    .bind(
      id,
      workspaceId,
      fields.key ?? unique('direct-key'),
      fields.type ?? 'adjustment',
      fields.status ?? 'completed',
      fields.amountMicros,
      fields.balanceAfterMicros ?? null,
      nowMs,
      fields.status === 'pending' ? null : nowMs,
    );
  return { id, statement };
}


/**
 * The credit block of an entry written straight to D1 (every credit is a block, and the ledger
 * object refuses to load a workspace whose blocks do not add up to its balance): promotional,
 * priority 50, never expiring, whole.
 */
export function insertBlockFor(workspaceId: string, transactionId: string, amountMicros: number) {
  return shardD1Of(workspaceId)
    .prepare(
      `INSERT INTO credit_blocks (id, workspace_id, category, source, transaction_id, amount_micros, remaining_micros, priority, expires_at_ms, created_at_ms)
       VALUES (?1, ?2, 'promotional', 'adjustment', ?3, ?4, ?4, 50, NULL, ?5)`,
    )
    .bind(`blk_${unique('direct').replace(/[^A-Za-z0-9]/g, '_')}`, workspaceId, transactionId, amountMicros, Date.now());
}
