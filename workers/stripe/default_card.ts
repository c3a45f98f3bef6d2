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
 * invoice_settings.default_payment_method, where the list of cards reads it), then its copy beside
 * the ledger, which the ledger object writes and charges for auto-recharge and saved-card top-ups.
 * `null` clears the default (the last card was removed).
 */
export async function makeDefaultCard(env: Env, workspaceId: string, customerId: string, card: Stripe.PaymentMethod | null): Promise<void> {
  await callStripe('customer', () =>
    stripeFor(env).customers.update(customerId, { invoice_settings: { default_payment_method: card?.id ?? '' } }),
  );
  await cacheDefaultCard(env, workspaceId, customerId, card);
}

/** Only the local copy (Stripe already has it as the default, or the card was just detached). */
export async function cacheDefaultCard(env: Env, workspaceId: string, customerId: string, card: Stripe.PaymentMethod | null): Promise<void> {
  const copy = card ? { id: card.id, brand: card.card?.brand ?? null, last4: card.card?.last4 ?? null } : null;
  unwrap(await ledgerFor(env, workspaceId).saveDefaultCard({ workspaceId, customerId, card: copy }));
}

/** The workspace's Stripe customer id, or null when it never paid. */
export async function customerOf(env: Env, workspaceId: string): Promise<string | null> {
  const row = await directoryDb(env).select({ customerId: stripeCustomers.customerId }).from(stripeCustomers).where(eq(stripeCustomers.workspaceId, workspaceId)).get();
  return row?.customerId ?? null;
}
