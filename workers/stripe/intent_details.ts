import type Stripe from 'stripe';
import { AUTHENTICATION_EXPIRED } from '../ledger/payments_port';

// The reason of an auto-recharge never authenticated (ledger/payments_port.ts).
export { AUTHENTICATION_EXPIRED };

/** Why Stripe declined a PaymentIntent, for the failed entry and the auto_recharge.failed notification. */
export const declineCodeOf = (intent: Stripe.PaymentIntent) =>
  intent.last_payment_error?.decline_code ??
  intent.last_payment_error?.code ??
  // burnrate cancels an unauthenticated payment with this reason, and no other.
  (intent.status === 'canceled' && intent.cancellation_reason === 'abandoned' ? AUTHENTICATION_EXPIRED : undefined);

/**
 * The hosted receipt of a PaymentIntent's charge (`latest_charge` expanded): the link of an
 * off-session deposit only when its invoice could not be made (stripe/invoice_off_session.ts).
 */
export const receiptUrlOf = (intent: Stripe.PaymentIntent) => (intent.latest_charge && typeof intent.latest_charge === 'object' ? (intent.latest_charge.receipt_url ?? null) : null);
