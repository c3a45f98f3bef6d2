// The settings the ledger object caches beside the balance: auto-top-up and the saved card. They
// are written only here, inside the object's queue turn, and the cache is updated in the same turn,
// so there is never a moment when D1 says one thing and the object acts on another.
import { eq } from 'drizzle-orm';
import { ledgerWorkspaces, stripeCustomers } from '../../../schema/tables';
import { notFound, type LedgerContext } from '../state/ledger_context';
import type { LedgerResult } from '../ledger_result';
import type { AutoTopupSettingsInput, DefaultCardInput } from '../ledger_types';

/** WorkspaceLedger.saveAutoTopup, in its queue turn. Enabling needs a saved card to charge. */
export async function saveAutoTopupNow(ledger: LedgerContext, workspaceId: string, settings: AutoTopupSettingsInput): Promise<LedgerResult<null>> {
  const state = await ledger.load(workspaceId);
  if (!state) return notFound;
  if (settings.enabled && !state.flags.paymentMethodId) {
    return {
      ok: false,
      code: 'payment_method_required',
      message: 'Save a payment method (complete a top-up, or add a card with POST /v1/billing/payment-methods) before enabling auto-top-up.',
    };
  }
  // Re-enabling starts a fresh count of declines.
  const failures = settings.enabled ? 0 : state.flags.autoTopupFailures;
  // The settings live in the workspace's ledger shard, beside the state the object acts on.
  await ledger.db
    .update(ledgerWorkspaces)
    .set({
      autoTopupEnabled: settings.enabled,
      autoTopupThresholdCents: settings.thresholdCents,
      autoTopupAmountCents: settings.topupAmountCents,
      autoTopupFailures: failures,
      autoTopupMode: settings.mode ?? 'fixed',
      autoTopupTargetCents: settings.targetCents ?? null,
      autoTopupMonthlyLimitCents: settings.monthlyLimitCents ?? null,
    })
    .where(eq(ledgerWorkspaces.workspaceId, workspaceId));
  Object.assign(state.flags, {
    autoTopupEnabled: settings.enabled,
    autoTopupThresholdCents: settings.thresholdCents,
    autoTopupAmountCents: settings.topupAmountCents,
    autoTopupFailures: failures,
  });
  return { ok: true, replayed: false, value: null };
}

/**
 * WorkspaceLedger.saveDefaultCard, in its queue turn: the local copy of the customer's default card
 * at Stripe (what auto-recharge and saved-card top-ups charge). A null card: no card any more.
 */
export async function saveDefaultCardNow(ledger: LedgerContext, input: DefaultCardInput): Promise<LedgerResult<null>> {
  const { workspaceId, customerId, card } = input;
  const state = await ledger.load(workspaceId);
  if (!state) return notFound;
  // The card is the Stripe customer's, in the directory.
  await ledger.directory
    .update(stripeCustomers)
    .set({ paymentMethodId: card?.id ?? null, cardBrand: card?.brand ?? null, cardLast4: card?.last4 ?? null, updatedAtMs: Date.now() })
    .where(eq(stripeCustomers.workspaceId, workspaceId));
  // The customer may be newer than the cached state (its first Checkout): both move together.
  state.flags.stripeCustomerId = customerId;
  state.flags.paymentMethodId = card?.id ?? null;
  return { ok: true, replayed: false, value: null };
}
