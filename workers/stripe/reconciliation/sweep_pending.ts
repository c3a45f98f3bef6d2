import { and, eq, inArray, lt } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { checkoutSessions, stripeCustomers, transactions } from '../../../schema/tables';
import type { Env } from '../../env';
import { allShards, directoryDb } from '../../storage/databases';
import { findByKey } from '../../ledger/entry_replay';
import { fulfilPaymentSession } from '../fulfil_checkout_session';
import { fulfilPaymentIntent, offSessionDeposit } from '../fulfil_payment_intent';
import { callStripe, stripeFor } from '../stripe_client';
import { ledgerFor } from '../../ledger/ledger_stub';
import { NEVER_SENT_TO_STRIPE } from '../../ledger/payments_port';
import type { Mismatch, Repair } from './report';

/** A deposit still pending this long is looked up at Stripe (its webhook was lost, or failed for good). */
export const PENDING_SWEEP_AFTER_MS = 30 * 60_000;
/** Bounds one run's work; the next run takes the rest. */
const MAX_SWEPT = 200;

export interface SweepOutcome {
  pendingResolved: number;
  repaired: Repair[];
  failed: Mismatch[];
}

/**
 * Deposits pending since before `cutoffMs`, in every ledger shard, each settled the way Stripe says: a Checkout deposit
 * through its session (paid → completed, expired → failed, still open → left pending), a
 * saved-card top-up or an auto-recharge through its PaymentIntent, found among the customer's
 * PaymentIntents by the metadata burnrate set on it. A saved-card deposit Stripe never heard of
 * (the ledger object was reset between recording it and charging the card, so the call that would
 * have made its PaymentIntent never reached Stripe) is failed: nothing was charged, and nothing will
 * be, since burnrate never sends a pending deposit's payment again (found by the simulator).
 */
export async function sweepPendingDeposits(env: Env, cutoffMs: number, nowMs = Date.now()): Promise<SweepOutcome> {
  const outcome: SweepOutcome = { pendingResolved: 0, repaired: [], failed: [] };
  for (const shard of allShards(env)) await sweepShard(env, shard.db, cutoffMs, nowMs, outcome);
  return outcome;
}

async function sweepShard(env: Env, db: DrizzleD1Database, cutoffMs: number, nowMs: number, outcome: SweepOutcome) {
  const pending = await db
    .select()
    .from(transactions)
    .where(and(eq(transactions.status, 'pending'), inArray(transactions.type, ['deposit', 'auto_recharge']), lt(transactions.createdAtMs, cutoffMs)))
    .orderBy(transactions.seq)
    .limit(MAX_SWEPT)
    .all();
  for (const entry of pending) {
    let stripeObjectId: string | null = null;
    let offSession = false;
    try {
      const session = await directoryDb(env)
        .select()
        .from(checkoutSessions)
        .where(and(eq(checkoutSessions.workspaceId, entry.workspaceId), eq(checkoutSessions.transactionKey, entry.idempotencyKey)))
        .get();
      if (session) {
        stripeObjectId = session.sessionId;
        const found = await callStripe('checkout session', () => stripeFor(env).checkout.sessions.retrieve(session.sessionId));
        await fulfilPaymentSession(env, found);
      } else {
        offSession = true;
        stripeObjectId = await offSessionIntentOf(env, entry.workspaceId, entry.idempotencyKey, entry.createdAtMs);
        if (stripeObjectId) await fulfilPaymentIntent(env, stripeObjectId, undefined, nowMs);
        else await neverSent(env, entry.workspaceId, entry.idempotencyKey);
      }
    } catch (error) {
      outcome.failed.push({ workspaceId: entry.workspaceId, stripeObjectId: stripeObjectId ?? entry.idempotencyKey, detail: `pending deposit ${entry.id} could not be looked up: ${String(error)}` });
      continue;
    }
    const now = await findByKey(db, entry.workspaceId, entry.idempotencyKey);
    if (now && now.status !== 'pending') {
      outcome.pendingResolved += 1;
      outcome.repaired.push({
        workspaceId: entry.workspaceId,
        stripeObjectId: stripeObjectId ?? entry.idempotencyKey,
        transactionId: now.id,
        what: stripeObjectId
          ? `${now.type} pending since ${new Date(entry.createdAtMs).toISOString()} ${now.status} from Stripe's record`
          : `${now.type} pending since ${new Date(entry.createdAtMs).toISOString()} failed: Stripe has no payment for it (never sent)`,
      });
    } else if (!stripeObjectId && !offSession) {
      outcome.failed.push({ workspaceId: entry.workspaceId, stripeObjectId: entry.idempotencyKey, detail: `deposit ${entry.id} has been pending since ${new Date(entry.createdAtMs).toISOString()}; Stripe has no payment for it` });
    }
  }
}

/** Fails a saved-card deposit whose payment never reached Stripe: no decline, nothing charged. */
async function neverSent(env: Env, workspaceId: string, key: string): Promise<void> {
  const closed = await ledgerFor(env, workspaceId).closeDeposit({ workspaceId, key, outcome: 'failed', failureReason: NEVER_SENT_TO_STRIPE, invoiceUrl: null });
  if (!closed.ok) throw new Error(`could not fail deposit ${key}: ${closed.code}: ${closed.message}`);
}

/** The PaymentIntent burnrate made for an off-session deposit (metadata.transactionKey), if Stripe has one. */
async function offSessionIntentOf(env: Env, workspaceId: string, key: string, createdAtMs: number): Promise<string | null> {
  const customer = await directoryDb(env).select({ id: stripeCustomers.customerId }).from(stripeCustomers).where(eq(stripeCustomers.workspaceId, workspaceId)).get();
  if (!customer) return null;
  const stripe = stripeFor(env);
  let found: string | null = null;
  // The PaymentIntent is made just after its entry; a day of slack covers any clock skew.
  await callStripe('payment intents', () =>
    stripe.paymentIntents.list({ customer: customer.id, created: { gte: Math.floor(createdAtMs / 1000) - 86_400 }, limit: 100 }).autoPagingEach((intent) => {
      const deposit = offSessionDeposit(intent);
      if (deposit?.workspaceId === workspaceId && deposit.key === key) {
        found = intent.id;
        return false;
      }
      return undefined;
    }),
  );
  return found;
}
