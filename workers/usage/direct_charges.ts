import { and, eq, gte, like, lt, not, type SQL } from 'drizzle-orm';
import { transactions } from '../../schema/tables';

/**
 * The ledger entries that are resource charges taken directly (POST /internal/v1/deductions):
 * completed `usage` entries that are not hourly settlements (those are described by their
 * settlement lines instead). Optionally bounded by creation time, [fromMs, toMs).
 */
export function directChargesOf(workspaceId: string, fromMs: number, toMs?: number): SQL | undefined {
  return and(
    eq(transactions.workspaceId, workspaceId),
    eq(transactions.type, 'usage'),
    eq(transactions.status, 'completed'),
    not(like(transactions.idempotencyKey, 'settle:%')),
    gte(transactions.createdAtMs, fromMs),
    ...(toMs === undefined ? [] : [lt(transactions.createdAtMs, toMs)]),
  );
}
