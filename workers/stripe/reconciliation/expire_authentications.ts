// A 3-D Secure auto-recharge the customer never completed (contract "Auto-recharge modes"): after
// AUTHENTICATION_EXPIRES_AFTER_MS it is given up. Its page, a Checkout Session
// (stripe/authentication_checkout.ts), is expired at Stripe so that it can no longer be paid, and
// the entry settles through the one Checkout path (fulfil_checkout_session.ts) as Stripe then
// reports the session: paid meanwhile -> completed; expired -> failed as `authentication_expired`,
// with its auto_recharge.failed notice, not a decline of the card. The off-session PaymentIntent
// Stripe declined is cancelled too (tidiness: nobody can confirm it later). A PaymentIntent that
// waited in requires_action instead (some integrations get that) is cancelled and settles through
// the PaymentIntent path (fulfil_payment_intent.ts), as `authentication_expired` too.
import { and, eq, lt } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { autoRechargeActions, checkoutSessions, transactions } from '../../../schema/tables';
import type { Env } from '../../env';
import { findByKey } from '../../ledger/entry_replay';
import { allShards, directoryDb } from '../../storage/databases';
import { AUTHENTICATION_EXPIRES_AFTER_MS } from '../authentication_checkout';
import { fulfilPaymentSession } from '../fulfil_checkout_session';
import { fulfilPaymentIntent } from '../fulfil_payment_intent';
import { callStripe, stripeFor } from '../stripe_client';
import { classifyStripeError } from '../stripe_errors';
import type { Mismatch, Repair } from './report';

export { AUTHENTICATION_EXPIRES_AFTER_MS };
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

interface Waiting {
  transactionId: string;
  workspaceId: string;
  key: string;
  paymentIntentId: string;
}

async function expireInShard(env: Env, db: DrizzleD1Database, nowMs: number, outcome: ExpireOutcome) {
  const waiting = await db
    .select({ transactionId: autoRechargeActions.transactionId, workspaceId: autoRechargeActions.workspaceId, key: transactions.idempotencyKey, paymentIntentId: autoRechargeActions.paymentIntentId })
    .from(autoRechargeActions)
    .innerJoin(transactions, eq(transactions.id, autoRechargeActions.transactionId))
    .where(and(eq(transactions.status, 'pending'), lt(autoRechargeActions.createdAtMs, nowMs - AUTHENTICATION_EXPIRES_AFTER_MS)))
    .limit(MAX_EXPIRED)
    .all();
  for (const w of waiting) {
    let stripeObjectId = w.paymentIntentId;
    try {
      const page = await directoryDb(env)
        .select({ sessionId: checkoutSessions.sessionId })
        .from(checkoutSessions)
        .where(and(eq(checkoutSessions.workspaceId, w.workspaceId), eq(checkoutSessions.transactionKey, w.key)))
        .get();
      if (page) {
        stripeObjectId = page.sessionId;
        await expireSessionPage(env, page.sessionId);
      } else {
        await expireWaitingIntent(env, w);
      }
      const now = await findByKey(db, w.workspaceId, w.key);
      if (now?.status === 'pending') throw new Error(`still ${now.status} after its page was expired`);
      if (page) await cancelDeclinedIntent(env, w.paymentIntentId);
      outcome.repaired.push({ workspaceId: w.workspaceId, stripeObjectId, transactionId: w.transactionId, what: `auto-recharge waiting for 3-D Secure for over 23 h: ${now?.status === 'completed' ? 'paid meanwhile' : 'expired'}` });
    } catch (error) {
      outcome.failed.push({ workspaceId: w.workspaceId, stripeObjectId, detail: `auto-recharge ${w.transactionId} awaiting authentication could not be expired: ${String(error)}` });
    }
  }
}

/** The Checkout Session expired at Stripe (unless paid or expired already), then settled as Stripe reports it. */
async function expireSessionPage(env: Env, sessionId: string) {
  const stripe = stripeFor(env);
  try {
    await stripe.checkout.sessions.expire(sessionId, {}, { idempotencyKey: `burnrate-expire-${sessionId}` });
  } catch (error) {
    // Stripe refusing means the session is not open any more (paid or expired): read below.
    if (!classifyStripeError(error).decided) throw error;
  }
  const session = await callStripe('checkout session', () => stripe.checkout.sessions.retrieve(sessionId));
  await fulfilPaymentSession(env, session);
}

/** A PaymentIntent still waiting in requires_action: cancelled, then settled as Stripe reports it. */
async function expireWaitingIntent(env: Env, w: Waiting) {
  const stripe = stripeFor(env);
  const intent = await callStripe('payment intent', () => stripe.paymentIntents.retrieve(w.paymentIntentId));
  // Paid or failed meanwhile: that outcome stands. Still waiting: cancelled now.
  if (intent.status === 'requires_action') {
    await callStripe('payment intent cancel', () => stripe.paymentIntents.cancel(w.paymentIntentId, { cancellation_reason: 'abandoned' }, { idempotencyKey: `burnrate-expire-${w.paymentIntentId}` }));
  }
  await fulfilPaymentIntent(env, w.paymentIntentId);
}

/** The off-session try Stripe declined (requires_payment_method), cancelled; best effort, the entry is settled already. */
async function cancelDeclinedIntent(env: Env, paymentIntentId: string) {
  const stripe = stripeFor(env);
  try {
    const intent = await stripe.paymentIntents.retrieve(paymentIntentId);
    if (intent.status !== 'requires_payment_method') return;
    await stripe.paymentIntents.cancel(paymentIntentId, { cancellation_reason: 'abandoned' }, { idempotencyKey: `burnrate-expire-${paymentIntentId}` });
  } catch (error) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'declined 3-D Secure payment intent could not be cancelled', paymentIntentId, error: String(error) }));
  }
}
