// A 3-D Secure auto-recharge the customer never completed (contract "Auto-recharge modes"): after
// AUTHENTICATION_EXPIRES_AFTER_MS its PaymentIntent is cancelled at Stripe (so that it can no longer
// be paid) and the entry fails through the one PaymentIntent path (fulfil_payment_intent.ts), with
// its auto_recharge.failed notice, as `authentication_expired`: not a decline of the card.
import { and, eq, lt } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { autoRechargeActions, transactions } from '../../../schema/tables';
import type { Env } from '../../env';
import { allShards } from '../../storage/databases';
import { fulfilPaymentIntent } from '../fulfil_payment_intent';
import { callStripe, stripeFor } from '../stripe_client';
import type { Mismatch, Repair } from './report';

/** How long a payment waits for the customer's authentication before it is given up. */
export const AUTHENTICATION_EXPIRES_AFTER_MS = 23 * 3_600_000;
const MAX_EXPIRED = 100;

export interface ExpireOutcome {
  repaired: Repair[];
  failed: Mismatch[];
}

export async function expireAwaitedAuthentications(env: Env, nowMs: number): Promise<ExpireOutcome> {
  const outcome: ExpireOutcome = { repaired: [], failed: [] };
  for (const shard of allShards(env)) await expireInShard(env, shard.db, nowMs, outcome);
  return outcome;
}

async function expireInShard(env: Env, db: DrizzleD1Database, nowMs: number, outcome: ExpireOutcome) {
  const waiting = await db
    .select({ transactionId: autoRechargeActions.transactionId, workspaceId: autoRechargeActions.workspaceId, paymentIntentId: autoRechargeActions.paymentIntentId })
    .from(autoRechargeActions)
    .innerJoin(transactions, eq(transactions.id, autoRechargeActions.transactionId))
    .where(and(eq(transactions.status, 'pending'), lt(autoRechargeActions.createdAtMs, nowMs - AUTHENTICATION_EXPIRES_AFTER_MS)))
    .limit(MAX_EXPIRED)
    .all();
  const stripe = stripeFor(env);
  for (const w of waiting) {
    try {
      const intent = await callStripe('payment intent', () => stripe.paymentIntents.retrieve(w.paymentIntentId));
      // Paid or failed meanwhile: that outcome stands. Still waiting: cancelled now.
      if (intent.status === 'requires_action') {
        await callStripe('payment intent cancel', () => stripe.paymentIntents.cancel(w.paymentIntentId, { cancellation_reason: 'abandoned' }, { idempotencyKey: `burnrate-expire-${w.paymentIntentId}` }));
      }
      await fulfilPaymentIntent(env, w.paymentIntentId);
      outcome.repaired.push({ workspaceId: w.workspaceId, stripeObjectId: w.paymentIntentId, transactionId: w.transactionId, what: 'auto-recharge waiting for 3-D Secure for over 23 h: expired' });
    } catch (error) {
      outcome.failed.push({ workspaceId: w.workspaceId, stripeObjectId: w.paymentIntentId, detail: `auto-recharge ${w.transactionId} awaiting authentication could not be expired: ${String(error)}` });
    }
  }
}
