import type Stripe from 'stripe';

/** Stripe's statuses of a dispute still being fought (an inquiry's included): auto-recharge waits. */
export const OPEN_DISPUTE_STATUSES = ['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review'] as const;

const movements = (dispute: Stripe.Dispute, category: string) =>
  (dispute.balance_transactions ?? []).filter((bt) => typeof bt === 'object' && bt.reporting_category === category);

/**
 * Whether Stripe took the disputed funds from the balance: a `dispute` balance transaction, or a
 * chargeback (not an inquiry, whose statuses start with `warning_`) in a state that implies it.
 */
export const fundsWithdrawn = (dispute: Stripe.Dispute) =>
  movements(dispute, 'dispute').length > 0 || ['needs_response', 'under_review', 'won', 'lost'].includes(dispute.status);

/** Whether Stripe gave the withdrawn funds back: a `dispute_reversal` balance transaction, or a won chargeback. */
export const fundsReinstated = (dispute: Stripe.Dispute) => movements(dispute, 'dispute_reversal').length > 0 || dispute.status === 'won';

/** The ledger keys of a dispute's two possible entries. */
export const withdrawnKey = (disputeId: string) => `dispute:${disputeId}:withdrawn`;
export const reinstatedKey = (disputeId: string) => `dispute:${disputeId}:reinstated`;
