import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import type { TransactionView } from '../ledger/transaction_view';
import { dollarsFromCents } from '../lib/money';
import { randomToken } from '../lib/crypto';
import { topupTransactionId } from './topup_key';

export interface SavedCardTopup {
  checkoutUrl: null;
  sessionId: null;
  transactionId: string;
  transaction: TransactionView;
}

/**
 * POST /v1/billing/topup with `paymentMethod: "saved"`: the default saved card is charged at once
 * through the workspace's ledger object (the same path as the dashboard's "pay with the saved
 * card"). Completed or, when Stripe has not decided yet, pending (the payment_intent webhook closes
 * it); a decline, or Stripe refusing the payment outright (the customer deleted at Stripe, the card
 * detached there: stripe/stripe_errors.ts), is recorded as a failed deposit and answered 402
 * payment_failed, a replay of it too.
 */
export async function topupWithSavedCard(env: Env, input: { workspaceId: string; amountCents: number; idempotencyKey?: string }): Promise<SavedCardTopup> {
  const { workspaceId, amountCents } = input;
  const transactionId = await topupTransactionId(env, workspaceId, input.idempotencyKey, 'card:');
  const tx = unwrap(
    await ledgerFor(env, workspaceId).depositWithSavedCard({
      workspaceId,
      key: `card:${input.idempotencyKey ? `api-${input.idempotencyKey}` : randomToken(16)}`,
      transactionId,
      amountCents,
      description: `Credit top-up (${dollarsFromCents(amountCents)}), saved card`,
    }),
  ).value;
  if (tx.status === 'failed') throw new ApiError('payment_failed', `The saved card was declined, or Stripe no longer accepts it (deleted or detached); nothing was added (deposit ${tx.id} is recorded as failed). Pay with a new card through Checkout.`);
  return { checkoutUrl: null, sessionId: null, transactionId: tx.id, transaction: tx };
}
