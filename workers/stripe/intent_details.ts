import type Stripe from 'stripe';

/** Why Stripe declined a PaymentIntent, for the failed entry and the auto_recharge.failed notification. */
export const declineCodeOf = (intent: Stripe.PaymentIntent) => intent.last_payment_error?.decline_code ?? intent.last_payment_error?.code ?? undefined;

/**
 * The hosted receipt of a PaymentIntent's charge (`latest_charge` expanded): the invoice link of an
 * off-session deposit (saved-card top-up, auto-recharge). See README, "Invoices and receipts".
 */
export const receiptUrlOf = (intent: Stripe.PaymentIntent) => (intent.latest_charge && typeof intent.latest_charge === 'object' ? (intent.latest_charge.receipt_url ?? null) : null);
