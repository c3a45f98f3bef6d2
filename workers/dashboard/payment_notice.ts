import type { Env } from '../env';
import { depositOfCheckoutSession } from '../billing/checkout_deposits';
import { readTransactionRow } from '../billing/read_transaction';
import { toTransactionView, type TransactionView } from '../ledger/transaction_view';
import { formatMicros } from './format';

// The notice after a payment (back from Checkout, or a saved-card top-up) describes the deposit as
// it is now, not as it was when the page was first served: the live updates re-render it from the
// same transaction, so "Pending" turns into "added" without a reload.

/** Which payment the page is about: from the URL Stripe or our form sent the browser back to. */
export type ReturnedPayment = { via: 'checkout'; sessionId: string } | { via: 'saved_card'; transactionId: string };

export interface Notice {
  kind: 'info' | 'success' | 'error';
  text: string;
}

const SESSION_ID = /^cs_[A-Za-z0-9_]{1,200}$/;
const TRANSACTION_ID = /^txn_[A-Za-z0-9_]{1,64}$/;

export function returnedPaymentOf(url: URL): ReturnedPayment | null {
  const sessionId = url.searchParams.get('session_id');
  if (url.searchParams.get('checkout') === 'success' && sessionId && SESSION_ID.test(sessionId)) return { via: 'checkout', sessionId };
  const transactionId = url.searchParams.get('topup');
  if (transactionId && TRANSACTION_ID.test(transactionId)) return { via: 'saved_card', transactionId };
  return null;
}

/** The query parameters that name the payment, for the live URL. */
export function returnedPaymentParams(payment: ReturnedPayment): Record<string, string> {
  return payment.via === 'checkout' ? { checkout: 'success', session_id: payment.sessionId } : { topup: payment.transactionId };
}

/** The deposit the payment made, in the caller's workspace only (another workspace's is null). */
export async function readReturnedPayment(env: Env, workspaceId: string, payment: ReturnedPayment): Promise<TransactionView | null> {
  if (payment.via === 'saved_card') {
    const row = await readTransactionRow(env, workspaceId, payment.transactionId);
    return row ? toTransactionView(row) : null;
  }
  const row = await depositOfCheckoutSession(env, workspaceId, payment.sessionId);
  return row ? toTransactionView(row) : null;
}

/** What the notice says about the payment in its current state. */
export function paymentNotice(payment: ReturnedPayment, tx: TransactionView | null): Notice {
  if (tx?.status === 'completed') {
    return payment.via === 'saved_card'
      ? { kind: 'success', text: `Added ${formatMicros(tx.amountMicros)} with the saved card.` }
      : { kind: 'success', text: `Payment completed: ${formatMicros(tx.amountMicros)} added to your balance.` };
  }
  if (tx?.status === 'failed') {
    return payment.via === 'saved_card'
      ? { kind: 'error', text: 'The saved card was declined. Nothing was added; pay with a new card instead.' }
      : { kind: 'error', text: 'The payment failed and nothing was added. Try again, or with another card.' };
  }
  if (payment.via === 'saved_card') return { kind: 'info', text: 'The payment is processing; this page updates by itself.' };
  return { kind: 'info', text: 'Payment submitted. The deposit shows as Pending until Stripe confirms it; this page updates by itself.' };
}
