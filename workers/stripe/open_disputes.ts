import { and, eq, inArray } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { stripeDisputes } from '../../schema/tables';
import { OPEN_DISPUTE_STATUSES } from './dispute_state';

/**
 * Whether a dispute of the workspace is still open (as Stripe last told burnrate). Read when
 * auto-recharge is about to charge, not cached: disputes are rare and change outside the ledger
 * object, and charging a card that is being disputed invites another dispute.
 */
export async function hasOpenDispute(db: DrizzleD1Database, workspaceId: string): Promise<boolean> {
  const row = await db
    .select({ id: stripeDisputes.disputeId })
    .from(stripeDisputes)
    .where(and(eq(stripeDisputes.workspaceId, workspaceId), inArray(stripeDisputes.status, [...OPEN_DISPUTE_STATUSES])))
    .get();
  return row !== undefined;
}
