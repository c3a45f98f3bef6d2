import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { stripeCustomers } from '../../schema/tables';
import type { Env } from '../env';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { callStripe, stripeFor } from './stripe_client';
import { directoryDb } from '../storage/databases';

/**
 * Makes a card the workspace's default: at Stripe (the customer's
 * invoice_settings.default_payment_method, where the list of cards reads it) and in
 * stripe_customers, the copy the ledger object charges for auto-recharge and saved-card top-ups,
 * which is then told to reload it. `null` clears the default (the last card was removed).
 */
export async function makeDefaultCard(env: Env, workspaceId: string, customerId: string, card: Stripe.PaymentMethod | null): Promise<void> {
  await callStripe('customer', () =>
    stripeFor(env).customers.update(customerId, { invoice_settings: { default_payment_method: card?.id ?? '' } }),
  );
  await cacheDefaultCard(env, workspaceId, card);
}

/** Only the local copy (Stripe already has it as the default, or the card was just detached). */
export async function cacheDefaultCard(env: Env, workspaceId: string, card: Stripe.PaymentMethod | null): Promise<void> {
  await directoryDb(env)
    .update(stripeCustomers)
    .set({ paymentMethodId: card?.id ?? null, cardBrand: card?.card?.brand ?? null, cardLast4: card?.card?.last4 ?? null, updatedAtMs: Date.now() })
    .where(eq(stripeCustomers.workspaceId, workspaceId));
  unwrap(await ledgerFor(env, workspaceId).reloadSettings(workspaceId));
}

/** The workspace's Stripe customer id, or null when it never paid. */
export async function customerOf(env: Env, workspaceId: string): Promise<string | null> {
  const row = await directoryDb(env).select({ customerId: stripeCustomers.customerId }).from(stripeCustomers).where(eq(stripeCustomers.workspaceId, workspaceId)).get();
  return row?.customerId ?? null;
}
