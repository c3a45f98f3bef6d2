// The page where a customer completes an auto-recharge their bank wants authenticated (3-D Secure;
// contract "Auto-recharge modes"). Stripe answers an off-session payment on such a card with a 402
// `authentication_required` and leaves nothing to finish: the PaymentIntent is back in
// requires_payment_method, and the only way to pay it is with the customer present. Stripe's own
// hosted way to take a card payment with the customer present is a Checkout Session: its page runs
// the bank's challenge. So burnrate opens one for the same amount, for the workspace's customer, open
// for AUTHENTICATION_EXPIRES_AFTER_MS, and records it as the page that pays the pending entry
// (checkout_sessions: session -> workspace and the entry's key). From then on the session is the
// one Stripe object that settles the entry, through the same path as a Checkout top-up
// (fulfil_checkout_session.ts): paid -> completed (its card saved and made the default, its invoice
// linked), expired -> failed as `authentication_expired` (not a decline).
import type Stripe from 'stripe';
import type { Env } from '../env';
import type { AuthenticationPage, AuthenticationPageRequest } from '../ledger/payments_port';
import { configuredPublicOrigin } from '../billing/public_base_url';
import { dollarsFromCents } from '../lib/money';
import { classifyStripeError } from './stripe_errors';
import { stripeFor } from './stripe_client';

/** How long a payment waits for the customer's authentication before it is given up (under Checkout's 24 h). */
export const AUTHENTICATION_EXPIRES_AFTER_MS = 23 * 3_600_000;

export type { AuthenticationPage };

/**
 * The Checkout Session for a pending auto-recharge, made once per entry (Stripe's idempotency key
 * is the entry's, so a retry gets the same session). Null when it could not be made (no public
 * address to send the customer back to, or Stripe refused or did not answer): the caller then fails
 * the entry as `authentication_required`; a session Stripe made without answering is found and
 * expired by reconciliation (reconciliation/expire_orphans.ts: open, burnrate's, no pending entry).
 */
export async function openAuthenticationPage(
  env: Env,
  input: AuthenticationPageRequest,
): Promise<AuthenticationPage | null> {
  const origin = configuredPublicOrigin(env);
  if (!origin) return null;
  const dollars = dollarsFromCents(input.amountCents);
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: 'payment',
    customer: input.customerId,
    client_reference_id: input.workspaceId,
    line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: input.amountCents, product_data: { name: `burnrate auto-recharge (${dollars})` } } }],
    // As a Checkout top-up: the card is saved for the next off-session payment (authenticated now,
    // which is what lets many banks accept the next one without the customer), with an invoice.
    payment_intent_data: { setup_future_usage: 'off_session', description: 'burnrate auto-recharge', metadata: { workspaceId: input.workspaceId } },
    invoice_creation: { enabled: true },
    metadata: { workspaceId: input.workspaceId, transactionId: input.transactionId },
    // Stripe's clock, not the ledger's (which may be a test's): Checkout wants 30 min to 24 h from now.
    expires_at: Math.floor((Date.now() + AUTHENTICATION_EXPIRES_AFTER_MS) / 1000),
    success_url: `${origin}/dashboard?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
    // Leaving the page without paying keeps it payable until it expires.
    cancel_url: `${origin}/dashboard`,
  };
  try {
    const session = await stripeFor(env).checkout.sessions.create(params, { idempotencyKey: `burnrate-${input.workspaceId}-${input.transactionKey}-authentication` });
    return session.url ? { sessionId: session.id, url: session.url } : null;
  } catch (error) {
    const verdict = classifyStripeError(error);
    console.error(JSON.stringify({ level: 'error', msg: 'checkout page for a 3-D Secure auto-recharge could not be made', workspaceId: input.workspaceId, transactionKey: input.transactionKey, code: verdict.code, error: verdict.message }));
    return null;
  }
}
