import { checkoutDepositOfTransaction } from '../billing/checkout_deposits';
import { confirmCardSetup, confirmCheckoutTopup } from '../billing/confirm_checkout';
import type { DashboardSession, Env } from '../env';
import { ApiError } from '../errors/api_error';
import { fulfilPaymentSession } from '../stripe/fulfil_checkout_session';
import { PAGE_PATIENCE, stripeFor } from '../stripe/stripe_client';

const TRANSACTION_ID = /^txn_[a-z0-9]{1,64}$/;

/** The Checkout deposit `transactionId` names, in the session's workspace only (another's is undefined). */
async function findCheckoutDeposit(env: Env, workspaceId: string, transactionId: string | null | undefined) {
  if (!transactionId || !TRANSACTION_ID.test(transactionId)) return undefined;
  return checkoutDepositOfTransaction(env, workspaceId, transactionId);
}

/**
 * The payer came back through the cancel link (a GET, which changes nothing): the deposit it names,
 * as it is now, for the notice and its "Cancel this top-up" button. Null when the link names no
 * Checkout deposit of this workspace.
 */
export async function readCancelledCheckout(env: Env, session: DashboardSession, transactionId: string | null): Promise<{ transactionId: string; status: string } | null> {
  const row = await findCheckoutDeposit(env, session.workspaceId, transactionId);
  return row && transactionId ? { transactionId, status: row.status } : null;
}

/**
 * An admin pressed "Cancel this top-up" (a form post with the CSRF token) after coming back from
 * Checkout without paying (after a declined card, say). The session is expired at Stripe so that it
 * can no longer be paid, and its deposit is marked failed at once (the checkout.session.expired
 * webhook would do the same, later, and is then a no-op). A session that was paid meanwhile cannot
 * be expired, and stays as the webhook leaves it. The cancel link itself only shows the button:
 * a GET that anyone can be sent to must not move money.
 */
export async function cancelReturnedCheckout(env: Env, session: DashboardSession, transactionId: string | null): Promise<'failed' | 'unchanged'> {
  // Expiring a payment is an admin's act, like starting one (the route checks it too).
  if (session.role !== 'admin') return 'unchanged';
  const row = await findCheckoutDeposit(env, session.workspaceId, transactionId);
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
 * answering (within the page's 3 s) is not the page's failure: the webhook settles the deposit and
 * the page refreshes.
 */
export async function confirmReturnedCheckout(env: Env, session: DashboardSession, sessionId: string | null): Promise<'completed' | 'failed' | 'pending'> {
  if (!sessionId || sessionId.length > 255) return 'pending';
  try {
    return (await confirmCheckoutTopup(env, session.workspaceId, sessionId, PAGE_PATIENCE)).status;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return 'pending';
  }
}

/** Back from a card-saving Checkout (setup mode): the card becomes the default now. */
export async function confirmReturnedCardSetup(env: Env, session: DashboardSession, sessionId: string | null): Promise<boolean> {
  if (!sessionId || sessionId.length > 255) return false;
  try {
    return (await confirmCardSetup(env, session.workspaceId, sessionId, PAGE_PATIENCE)).status === 'saved';
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return false;
  }
}
