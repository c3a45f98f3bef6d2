import { checkoutReturnOrigin } from './public_base_url';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { stripeCustomers } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError, notFound } from '../errors/api_error';
import { cacheDefaultCard, customerOf, makeDefaultCard } from '../stripe/default_card';
import { ensureCustomer } from '../stripe/ensure_customer';
import { callStripe, idOf, stripeFor, type StripePatience } from '../stripe/stripe_client';
import { directoryDb } from '../storage/databases';
import { autoTopupEnabled } from './read_auto_topup';

// The workspace's cards live at Stripe: the customer's card PaymentMethods, the default being the
// customer's invoice_settings.default_payment_method. stripe_customers keeps a copy of the default
// for the ledger object (auto-recharge, saved-card top-ups), refreshed on every change here.

export interface PaymentMethodView {
  id: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  default: boolean;
}

const viewOf = (pm: Stripe.PaymentMethod, defaultId: string | null): PaymentMethodView => ({
  id: pm.id,
  brand: pm.card?.brand ?? 'card',
  last4: pm.card?.last4 ?? '',
  expMonth: pm.card?.exp_month ?? 0,
  expYear: pm.card?.exp_year ?? 0,
  default: pm.id === defaultId,
});

/** The customer's cards (newest first) and the default's id; none before the workspace ever paid. */
async function cardsAndDefault(env: Env, workspaceId: string, patience?: StripePatience) {
  const row = await directoryDb(env).select().from(stripeCustomers).where(eq(stripeCustomers.workspaceId, workspaceId)).get();
  if (!row) return { customerId: null, cards: [] as Stripe.PaymentMethod[], defaultId: null };
  const stripe = stripeFor(env, patience);
  const [customer, cards] = await Promise.all([
    callStripe('customer', () => stripe.customers.retrieve(row.customerId)),
    callStripe('payment methods', () => stripe.customers.listPaymentMethods(row.customerId, { type: 'card', limit: 100 })),
  ]);
  const atStripe = 'deleted' in customer && customer.deleted ? null : idOf((customer as Stripe.Customer).invoice_settings?.default_payment_method as string | { id: string } | null);
  // A card saved before defaults were kept at Stripe is known only from the local copy.
  const defaultId = atStripe ?? (cards.data.some((c) => c.id === row.paymentMethodId) ? row.paymentMethodId : null);
  return { customerId: row.customerId, cards: cards.data, defaultId };
}

/** GET /v1/billing/payment-methods (and the dashboard's Cards panel, with its own patience). */
export async function listPaymentMethods(env: Env, workspaceId: string, patience?: StripePatience): Promise<{ data: PaymentMethodView[] }> {
  const { cards, defaultId } = await cardsAndDefault(env, workspaceId, patience);
  return { data: cards.map((pm) => viewOf(pm, defaultId)) };
}

/**
 * POST /v1/billing/payment-methods: a Checkout Session in setup mode. Nothing is charged; when the
 * payer completes it, the card becomes the default (checkout.session.completed, or the dashboard's
 * return, through stripe/fulfil_checkout_session.ts).
 */
export async function startCardSetup(env: Env, workspaceId: string): Promise<{ checkoutUrl: string; sessionId: string }> {
  // Back to PUBLIC_BASE_URL, never to the request's Host.
  const origin = checkoutReturnOrigin(env);
  const customer = await ensureCustomer(env, workspaceId);
  const session = await callStripe('checkout session', () =>
    stripeFor(env).checkout.sessions.create({
      mode: 'setup',
      customer,
      currency: 'usd',
      client_reference_id: workspaceId,
      metadata: { workspaceId },
      setup_intent_data: { metadata: { workspaceId } },
      success_url: `${origin}/dashboard?checkout=card_saved&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${origin}/dashboard`,
    }),
  );
  if (!session.url) throw new ApiError('stripe_unavailable', 'Stripe returned a session without a checkout URL.');
  return { checkoutUrl: session.url, sessionId: session.id };
}

/** One of this workspace's cards, or 404 (another workspace's card included). */
async function ownedCard(env: Env, workspaceId: string, paymentMethodId: string) {
  const customerId = await customerOf(env, workspaceId);
  if (!customerId) throw notFound('payment method');
  const pm = await callStripe('payment method', () => stripeFor(env).paymentMethods.retrieve(paymentMethodId)).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === 'not_found') throw notFound('payment method');
    throw error;
  });
  if (idOf(pm.customer as string | { id: string } | null) !== customerId || pm.type !== 'card') throw notFound('payment method');
  return { customerId, pm };
}

/** POST /v1/billing/payment-methods/:id/default → the list. */
export async function setDefaultPaymentMethod(env: Env, workspaceId: string, paymentMethodId: string): Promise<{ data: PaymentMethodView[] }> {
  const { customerId, pm } = await ownedCard(env, workspaceId, paymentMethodId);
  await makeDefaultCard(env, workspaceId, customerId, pm);
  return listPaymentMethods(env, workspaceId);
}

/**
 * DELETE /v1/billing/payment-methods/:id: detached at Stripe. Removing the default makes the
 * newest remaining card the default; the last card cannot go while auto-top-up is on (409).
 * Another card removed leaves the default as it is.
 */
export async function removePaymentMethod(env: Env, workspaceId: string, paymentMethodId: string): Promise<void> {
  const { customerId, pm } = await ownedCard(env, workspaceId, paymentMethodId);
  const { cards, defaultId } = await cardsAndDefault(env, workspaceId);
  const remaining = cards.filter((c) => c.id !== pm.id);
  if (remaining.length === 0) {
    if (await autoTopupEnabled(env, workspaceId)) throw new ApiError('payment_method_required', 'This is the last saved card and auto-top-up is on: turn auto-top-up off first, or add another card.');
  }
  await callStripe('payment method', () => stripeFor(env).paymentMethods.detach(pm.id));
  const kept = remaining.find((c) => c.id === defaultId);
  if (kept) await cacheDefaultCard(env, workspaceId, customerId, kept); // the default stays; its copy is refreshed
  else if (remaining[0]) await makeDefaultCard(env, workspaceId, customerId, remaining[0]);
  else await cacheDefaultCard(env, workspaceId, customerId, null); // Stripe clears a detached default itself
}
