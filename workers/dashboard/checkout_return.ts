import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { checkoutSessions, transactions } from '../../schema/tables';
import { confirmCardSetup, confirmCheckoutTopup } from '../billing/confirm_checkout';
import type { DashboardSession, Env } from '../env';
import { ApiError } from '../errors/api_error';
import { fulfilPaymentSession } from '../stripe/fulfil_checkout_session';
import { stripeFor } from '../stripe/stripe_client';

/**
 * The payer came back from Checkout without paying (after a declined card, say). Their session is
 * expired at Stripe so that it can no longer be paid, and its deposit is marked failed at once
 * (the checkout.session.expired webhook would do the same, later, and is then a no-op). A session
 * that was paid meanwhile cannot be expired, and stays as the webhook leaves it. Only an admin's
 * session expires anything.
 */
export async function cancelReturnedCheckout(env: Env, session: DashboardSession, transactionId: string | null): Promise<'failed' | 'unchanged'> {
  // Expiring a payment is an admin's act, like starting one: a member who follows (or is sent) a
  // cancel link — directly or through the cookie-less bounce — changes nothing.
  if (session.role !== 'admin') return 'unchanged';
  if (!transactionId || !/^txn_[a-z0-9]{1,64}$/.test(transactionId)) return 'unchanged';
  const row = await drizzle(env.DB)
    .select({ sessionId: checkoutSessions.sessionId, status: transactions.status })
    .from(checkoutSessions)
    .innerJoin(transactions, and(eq(transactions.workspaceId, checkoutSessions.workspaceId), eq(transactions.idempotencyKey, checkoutSessions.transactionKey)))
    .where(and(eq(transactions.id, transactionId), eq(checkoutSessions.workspaceId, session.workspaceId)))
    .get();
  if (!row || row.status !== 'pending') return 'unchanged';
  try {
    const expired = await stripeFor(env).checkout.sessions.expire(row.sessionId);
    const outcome = await fulfilPaymentSession(env, expired);
    return outcome?.status === 'failed' ? 'failed' : 'unchanged';
  } catch (error) {
    // Already complete or expired at Stripe, or Stripe did not answer: the webhook settles it.
    console.warn(JSON.stringify({ level: 'warn', msg: 'checkout cancel: session not expired', sessionId: row.sessionId, error: String(error) }));
    return 'unchanged';
  }
}

/**
 * The payer came back from Checkout through success_url: the session is verified with Stripe and
 * fulfilled through the same path as the webhook (credited once, whoever comes first). Stripe not
 * answering is not the page's failure: the webhook settles the deposit and the page refreshes.
 */
export async function confirmReturnedCheckout(env: Env, session: DashboardSession, sessionId: string | null): Promise<'completed' | 'failed' | 'pending'> {
  if (!sessionId || sessionId.length > 255) return 'pending';
  try {
    return (await confirmCheckoutTopup(env, session.workspaceId, sessionId)).status;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return 'pending';
  }
}

/** Back from a card-saving Checkout (setup mode): the card becomes the default now. */
export async function confirmReturnedCardSetup(env: Env, session: DashboardSession, sessionId: string | null): Promise<boolean> {
  if (!sessionId || sessionId.length > 255) return false;
  try {
    return (await confirmCardSetup(env, session.workspaceId, sessionId)).status === 'saved';
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return false;
  }
}
