// The one home of the top-up bounds, in US cents: Stripe-facing amounts are cents. A top-up (by
// Checkout, with the saved card, or an auto-recharge) is at least $5 and at most $10,000.
export const MIN_TOPUP_CENTS = 500;
export const MAX_TOPUP_CENTS = 1_000_000;
