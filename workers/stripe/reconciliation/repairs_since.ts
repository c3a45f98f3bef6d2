import { and, eq, gte, inArray, ne } from 'drizzle-orm';
import { transactions } from '../../../schema/tables';
import type { Env } from '../../env';
import { ledgerDbOf } from '../../storage/databases';
import type { Repair } from './report';

/** The ledger entries Stripe moves (deposits, refunds, disputes). */
export const STRIPE_ENTRY_TYPES = ['deposit', 'auto_recharge', 'refund', 'dispute'] as const;

/**
 * The workspace's Stripe entries settled (made completed or failed) since `sinceMs`: what the
 * step of reconciliation that just ran changed, reported as repairs of `stripeObjectId`.
 */
export async function repairsSince(env: Env, workspaceId: string, sinceMs: number, stripeObjectId: string, cause: string): Promise<Repair[]> {
  const rows = await (await ledgerDbOf(env, workspaceId))
    .select({ id: transactions.id, type: transactions.type, status: transactions.status, amountMicros: transactions.amountMicros })
    .from(transactions)
    .where(
      and(
        eq(transactions.workspaceId, workspaceId),
        inArray(transactions.type, [...STRIPE_ENTRY_TYPES]),
        ne(transactions.status, 'pending'),
        gte(transactions.settledAtMs, sinceMs),
      ),
    )
    .orderBy(transactions.seq)
    .all();
  return rows.map((r) => ({ workspaceId, stripeObjectId, transactionId: r.id, what: `${r.type} ${r.status} (${r.amountMicros} micros) by ${cause}` }));
}
