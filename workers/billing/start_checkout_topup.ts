import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { centsToMicros, dollarsFromCents } from '../lib/money';
import { checkoutReturnOrigin } from './public_base_url';
import { ensureCustomer } from '../stripe/ensure_customer';
import { abandonSession, createTopupSession } from '../stripe/checkout_orphans';
import type { TransactionView } from '../ledger/transaction_view';
import { topupTransactionId } from './topup_key';

export interface CheckoutTopup {
  checkoutUrl: string;
  sessionId: string;
  transactionId: string;
  transaction: TransactionView;
}

/**
 * A top-up through Stripe Checkout, shared by POST /v1/billing/topup and the dashboard: the
 * Checkout Session (saving the card for auto-recharge, with an invoice), then the pending deposit
 * keyed by the session. Stripe's idempotency key makes a retry return the same session, and the
 * ledger key makes it the same deposit. A session the caller is not given (Stripe answered too late,
 * or the deposit could not be opened) is expired, at once or by reconciliation
 * (stripe/checkout_orphans.ts), so that nothing can be paid for a top-up answered as failed.
 */
export async function startCheckoutTopup(
  env: Env,
  input: { workspaceId: string; amountCents: number; idempotencyKey?: string },
): Promise<CheckoutTopup> {
  const { workspaceId, amountCents } = input;
  // Before anything is created at Stripe: no public address configured, no Checkout.
  const origin = checkoutReturnOrigin(env);
  const customer = await ensureCustomer(env, workspaceId);
  const dollars = dollarsFromCents(amountCents);
  // The deposit's id is chosen first so that the cancel URL can name it: the dashboard expires
  // that session when the payer comes back without paying, and the deposit shows as failed. With an
  // idempotency key the id is derived from it, so that a retry sends Stripe the same parameters.
  const transactionId = await topupTransactionId(env, workspaceId, input.idempotencyKey, 'checkout:');
  // Always under an idempotency key (the caller's, else this request's own deposit id): the key is
  // how a session Stripe made but did not tell us about is found again (checkout_orphans.ts).
  const session = await createTopupSession(
    env,
    workspaceId,
    {
      mode: 'payment',
      customer,
      client_reference_id: workspaceId,
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: amountCents, product_data: { name: `burnrate credits (${dollars})` } } }],
      // Save the card for off-session auto-recharge, and issue an invoice for the payment.
      payment_intent_data: { setup_future_usage: 'off_session', metadata: { workspaceId } },
      invoice_creation: { enabled: true },
      metadata: { workspaceId, transactionId },
      success_url: `${origin}/dashboard?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${origin}/dashboard?checkout=cancelled&txn=${transactionId}`,
    },
    `burnrate-topup-${workspaceId}-${input.idempotencyKey ?? transactionId}`,
  );
  if (!session.url) throw new ApiError('stripe_unavailable', 'Stripe returned a session without a checkout URL.');
  let tx;
  try {
    tx = unwrap(
      await ledgerFor(env, workspaceId).openDeposit({
        workspaceId,
        key: `checkout:${session.id}`,
        type: 'deposit',
        amountMicros: centsToMicros(amountCents),
        description: `Credit top-up (${dollars})`,
        sessionId: session.id,
        transactionId,
      }),
    );
  } catch (error) {
    // No deposit, no session: the caller hears of a failure, so nothing may be paid for it.
    await abandonSession(env, session.id, workspaceId);
    throw error;
  }
  return { checkoutUrl: session.url, sessionId: session.id, transactionId: tx.value.id, transaction: tx.value };
}
