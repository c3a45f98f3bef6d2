import { and, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { checkoutSessions } from '../../schema/tables';
import type { Env } from '../env';
import { directoryDb, ledgerDbOf } from '../storage/databases';
import { findByKey } from '../ledger/entry_replay';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { customerOf } from './default_card';
import { fulfilPaymentSession } from './fulfil_checkout_session';
import { declineCodeOf } from './intent_details';
import { invoiceOffSessionPayment } from './invoice_off_session';
import { recordEvent, type StripeEventRef } from './record_event';
import { callStripe, idOf, stripeFor } from './stripe_client';
import { AUTHENTICATION_REQUIRED } from './stripe_errors';

/** The ledger entry a PaymentIntent pays for. */
export interface DepositRef {
  workspaceId: string;
  key: string;
}

/**
 * An off-session PaymentIntent (a saved-card top-up or an auto-recharge) names its deposit in its
 * metadata, set when burnrate created it (stripe/charge_saved_card.ts): the workspace and the
 * entry's idempotency key. A Checkout payment's PaymentIntent is known through its session.
 */
export const offSessionDeposit = (intent: Stripe.PaymentIntent): DepositRef | null => {
  const workspaceId = intent.metadata?.workspaceId;
  const key = intent.metadata?.transactionKey;
  return workspaceId && key ? { workspaceId, key } : null;
};

/**
 * How long an auto-recharge whose off-session try Stripe declined for authentication waits for its
 * page before that decline may fail it: the ledger object makes the page right after Stripe's
 * answer (ledger/recharge/auto_recharge.ts), while Stripe's payment_intent.payment_failed is already on its way.
 */
export const AUTHENTICATION_PAGE_GRACE_MS = 10 * 60_000;

/** Stripe declined the off-session try because the bank wants the customer to authenticate (3-D Secure). */
const declinedForAuthentication = (intent: Stripe.PaymentIntent) =>
  (intent.status === 'requires_payment_method' || intent.status === 'canceled') &&
  (intent.last_payment_error?.code === AUTHENTICATION_REQUIRED || intent.last_payment_error?.decline_code === AUTHENTICATION_REQUIRED);

/**
 * The one way a PaymentIntent moves the ledger (the payment_intent.* webhooks, and a refund that
 * arrives before them): an off-session deposit is completed (with its paid invoice) or failed once
 * Stripe decided, and left pending while it has not; a Checkout payment settles through its
 * session. An auto-recharge declined for authentication is not settled by that decline: it waits
 * for its page (stripe/authentication_checkout.ts), whose Checkout Session settles it; one without
 * a page fails after AUTHENTICATION_PAGE_GRACE_MS as authentication_required (not a decline).
 * Answers the deposit, or null when the PaymentIntent is not burnrate's.
 */
export async function fulfilPaymentIntent(env: Env, intentOrId: Stripe.PaymentIntent | string, event?: StripeEventRef, nowMs = Date.now()): Promise<DepositRef | null> {
  const stripe = stripeFor(env);
  const intentId = typeof intentOrId === 'string' ? intentOrId : intentOrId.id;
  // Stripe's current state (with the charge, whose receipt stands in if the invoice cannot be
  // made): an event's copy may be older than another's.
  const intent = await callStripe('payment intent', () => stripe.paymentIntents.retrieve(intentId, { expand: ['latest_charge'] }));
  const offSession = offSessionDeposit(intent);
  if (offSession) {
    const { workspaceId, key } = offSession;
    // The metadata must agree with who paid: the workspace's own Stripe customer.
    if (idOf(intent.customer as string | { id: string } | null) !== (await customerOf(env, workspaceId))) return null;
    const outcome = intent.status === 'succeeded' ? 'completed' : intent.status === 'requires_payment_method' || intent.status === 'canceled' ? 'failed' : null;
    if (!outcome) {
      // Still processing: the deposit stays pending for the next event.
      if (event) await recordEvent(env, event, workspaceId);
      return offSession;
    }
    let failureReason = declineCodeOf(intent);
    if (declinedForAuthentication(intent) && (await findByKey(await ledgerDbOf(env, workspaceId), workspaceId, key))?.type === 'auto_recharge') {
      const page = await directoryDb(env)
        .select({ sessionId: checkoutSessions.sessionId })
        .from(checkoutSessions)
        .where(and(eq(checkoutSessions.workspaceId, workspaceId), eq(checkoutSessions.transactionKey, key)))
        .get();
      if (page || nowMs - intent.created * 1000 < AUTHENTICATION_PAGE_GRACE_MS) {
        // The customer has (or is about to have) the page: its session decides.
        if (event) await recordEvent(env, event, workspaceId);
        return offSession;
      }
      failureReason = AUTHENTICATION_REQUIRED;
    }
    // Its paid invoice, unless the deposit was closed already (by the ledger object that charged
    // the card, or an earlier event): that one made it, with the same idempotency keys.
    const pending = outcome === 'completed' && (await findByKey(await ledgerDbOf(env, workspaceId), workspaceId, key))?.status === 'pending';
    const invoiceUrl = pending ? await invoiceOffSessionPayment(env, intent, { workspaceId, transactionKey: key, description: intent.description ?? 'burnrate credits' }) : null;
    const result = await ledgerFor(env, workspaceId).closeDeposit({ workspaceId, key, outcome, failureReason, invoiceUrl, event });
    if (!result.ok && result.code === 'not_found') return null; // metadata naming no entry of ours
    unwrap(result);
    return offSession;
  }
  return fulfilCheckoutIntent(env, intent.id, event);
}

/** A Checkout payment's PaymentIntent: its session (ours, or none) decides. */
async function fulfilCheckoutIntent(env: Env, intentId: string, event?: StripeEventRef): Promise<DepositRef | null> {
  const db = directoryDb(env);
  const known = await db.select({ sessionId: checkoutSessions.sessionId }).from(checkoutSessions).where(eq(checkoutSessions.paymentIntentId, intentId)).get();
  const stripe = stripeFor(env);
  const session = known
    ? await callStripe('checkout session', () => stripe.checkout.sessions.retrieve(known.sessionId))
    : (await callStripe('checkout sessions', () => stripe.checkout.sessions.list({ payment_intent: intentId, limit: 1 }))).data[0];
  if (!session) return null;
  const outcome = await fulfilPaymentSession(env, session, event);
  if (!outcome) return null;
  const row = await db.select().from(checkoutSessions).where(eq(checkoutSessions.sessionId, session.id)).get();
  return row ? { workspaceId: row.workspaceId, key: row.transactionKey } : null;
}

/** The deposit entry behind a DepositRef (read after its PaymentIntent was fulfilled). */
export const depositEntry = async (env: Env, ref: DepositRef) => findByKey(await ledgerDbOf(env, ref.workspaceId), ref.workspaceId, ref.key);

