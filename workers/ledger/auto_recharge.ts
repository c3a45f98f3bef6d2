import { and, eq, isNull } from 'drizzle-orm';
import { transactions, workspaces } from '../../schema/tables';
import { newId } from '../lib/ids';
import { dollarsFromCents, MICROS_PER_CENT } from '../lib/money';
import { chargeSavedCard } from '../stripe/charge_saved_card';
import { closeDepositNow } from './deposits';
import { spendableMicros, type LedgerContext } from './ledger_context';
import type { LedgerState } from './load_state';

/**
 * One off-session payment per crossing below the threshold: a pending `auto_recharge` entry and
 * the crossing mark in one batch, then the PaymentIntent (its idempotency key is the entry's),
 * then the outcome. A payment Stripe has not decided yet stays pending for the webhook.
 */
export async function maybeAutoRecharge(ledger: LedgerContext, state: LedgerState, nowMs: number): Promise<void> {
  const f = state.flags;
  const spendable = spendableMicros(state, nowMs);
  const ws = state.workspaceId;
  if (spendable >= f.autoTopupThresholdCents * MICROS_PER_CENT) {
    if (f.autoRechargeCrossingAtMs !== null) {
      await ledger.db.update(workspaces).set({ autoRechargeCrossingAtMs: null }).where(eq(workspaces.id, ws));
      f.autoRechargeCrossingAtMs = null;
    }
    return;
  }
  if (!f.autoTopupEnabled || !f.paymentMethodId || !f.stripeCustomerId || f.autoRechargeCrossingAtMs !== null) return;
  const key = `auto:${nowMs}`;
  const amountCents = f.autoTopupAmountCents;
  await ledger.db.batch([
    ledger.db.insert(transactions).values({
      id: newId('txn', nowMs),
      workspaceId: ws,
      idempotencyKey: key,
      requestHash: 'auto_recharge',
      type: 'auto_recharge',
      status: 'pending',
      description: `Auto-recharge (${dollarsFromCents(amountCents)}) below ${dollarsFromCents(f.autoTopupThresholdCents)}`,
      amountMicros: amountCents * MICROS_PER_CENT,
      createdAtMs: nowMs,
    }),
    ledger.db.update(workspaces).set({ autoRechargeCrossingAtMs: nowMs }).where(and(eq(workspaces.id, ws), isNull(workspaces.autoRechargeCrossingAtMs))),
  ]);
  f.autoRechargeCrossingAtMs = nowMs;
  const { outcome, failureReason, receiptUrl } = await chargeSavedCard(ledger.env, {
    workspaceId: ws,
    transactionKey: key,
    amountCents,
    customerId: f.stripeCustomerId,
    paymentMethodId: f.paymentMethodId,
    description: 'burnrate auto-recharge',
  });
  if (outcome) await closeDepositNow(ledger, { workspaceId: ws, key, outcome, failureReason, invoiceUrl: receiptUrl });
}
