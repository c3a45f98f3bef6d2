import { and, eq } from 'drizzle-orm';
import { checkoutSessions } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { fulfilPaymentSession, fulfilSetupSession, type CheckoutOutcome, type SetupOutcome } from '../stripe/fulfil_checkout_session';
import { callStripe, stripeFor, type StripePatience } from '../stripe/stripe_client';
import { directoryDb } from '../storage/databases';

const noSuchSession = () => new ApiError('not_found', 'No such checkout session in this workspace.');

/**
 * GET /v1/billing/success and the dashboard's return from Checkout: asks Stripe for the top-up's
 * session and fulfils it through the same path as the webhook (credited once, whoever is first).
 * Tenancy before Stripe: a session of another workspace, or none of ours, is a 404.
 */
export async function confirmCheckoutTopup(env: Env, workspaceId: string, sessionId: string, patience?: StripePatience): Promise<CheckoutOutcome> {
  const row = await directoryDb(env)
    .select({ sessionId: checkoutSessions.sessionId })
    .from(checkoutSessions)
    .where(and(eq(checkoutSessions.sessionId, sessionId), eq(checkoutSessions.workspaceId, workspaceId)))
    .get();
  if (!row) throw noSuchSession();
  const session = await callStripe('checkout session', () => stripeFor(env, patience).checkout.sessions.retrieve(sessionId));
  const outcome = await fulfilPaymentSession(env, session);
  if (!outcome) throw noSuchSession();
  return outcome;
}

/**
 * The dashboard's return from a card-saving Checkout (setup mode): the card becomes the default
 * now rather than when the webhook arrives. A session of another workspace is a 404.
 */
export async function confirmCardSetup(env: Env, workspaceId: string, sessionId: string, patience?: StripePatience): Promise<SetupOutcome> {
  if (!/^cs_[A-Za-z0-9_]{1,250}$/.test(sessionId)) throw noSuchSession();
  const session = await callStripe('checkout session', () => stripeFor(env, patience).checkout.sessions.retrieve(sessionId));
  if (session.mode !== 'setup' || session.metadata?.workspaceId !== workspaceId) throw noSuchSession();
  const outcome = await fulfilSetupSession(env, session);
  if (!outcome) throw noSuchSession();
  return outcome;
}
