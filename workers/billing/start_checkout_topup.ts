import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { centsToMicros, dollarsFromCents } from '../lib/money';
import { checkoutReturnOrigin } from './public_base_url';
import { ensureCustomer } from '../stripe/ensure_customer';
import { callStripe, stripeFor } from '../stripe/stripe_client';
import type { TransactionView } from '../ledger/transaction_view';
import { topupTransactionId } from './topup_key';
import type { Replayable } from '../http/idempotent_replayed';

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
 * ledger key makes it the same deposit.
 */
export async function startCheckoutTopup(
  env: Env,
  input: { workspaceId: string; amountCents: number; idempotencyKey?: string },
): Promise<Replayable<CheckoutTopup>> {
  const { workspaceId, amountCents } = input;
  // Before anything is created at Stripe: no public address configured, no Checkout.
  const origin = checkoutReturnOrigin(env);
  const customer = await ensureCustomer(env, workspaceId);
  const dollars = dollarsFromCents(amountCents);
  // The deposit's id is chosen first so that the cancel URL can name it: the dashboard expires
  // that session when the payer comes back without paying, and the deposit shows as failed. With an
  // idempotency key the id is derived from it, so that a retry sends Stripe the same parameters.
  const transactionId = await topupTransactionId(env, workspaceId, input.idempotencyKey, 'checkout:');
  const session = await callStripe('checkout session', () =>
    stripeFor(env).checkout.sessions.create(
      {
        mode: 'payment',
        customer,
        client_reference_id: workspaceId,
        line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: amountCents, product_data: { name: `burnrate credits (${dollars})` } } }],
        // Save the card for off-session auto-recharge, and issue an invoice for the payment.
        payment_intent_data: { setup_future_usage: 'off_session', metadata: { workspaceId } },
        invoice_creation: { enabled: true },
        metadata: { workspaceId },
        success_url: `${origin}/dashboard?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${origin}/dashboard?checkout=cancelled&txn=${transactionId}`,
      },
      input.idempotencyKey ? { idempotencyKey: `burnrate-topup-${workspaceId}-${input.idempotencyKey}` } : undefined,
    ),
  );
  if (!session.url) throw new ApiError('stripe_unavailable', 'Stripe returned a session without a checkout URL.');
  const tx = unwrap(
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
  // A retry with the same idempotency key gets the same session from Stripe and so replays the deposit.
  return { value: { checkoutUrl: session.url, sessionId: session.id, transactionId: tx.value.id, transaction: tx.value }, replayed: tx.replayed };
}
