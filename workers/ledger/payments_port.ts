import type { DrizzleD1Database } from 'drizzle-orm/d1';

// The ledger object reaches the card network only through this port, which the Worker's entry
// hands it (workers/index.ts, implemented by stripe/stripe_payments.ts). The ledger imports nothing
// of Stripe; Stripe's code imports the ledger (to record what Stripe says), so the two no longer
// import each other, and the rules of auto-recharge and saved-card deposits read without Stripe.

/** A payment that failed without a decline: the bank wants the customer to authenticate (3-D Secure). */
export const AUTHENTICATION_REQUIRED = 'authentication_required';
/**
 * An auto-recharge the customer never authenticated, given up after the page's time
 * (stripe/reconciliation/expire_authentications.ts) or whose page expired unpaid: failed, no decline.
 */
export const AUTHENTICATION_EXPIRED = 'authentication_expired';
/**
 * A saved-card deposit whose payment never reached Stripe (the ledger object was reset between
 * recording it and charging the card): reconciliation finds no PaymentIntent for it and fails it,
 * nothing charged, no decline (stripe/reconciliation/sweep_pending.ts).
 */
export const NEVER_SENT_TO_STRIPE = 'not_sent_to_stripe';

export interface SavedCardCharge {
  workspaceId: string;
  /** The pending entry's key (auto_recharge or deposit): also the PaymentIntent's idempotency key. */
  transactionKey: string;
  amountCents: number;
  customerId: string;
  paymentMethodId: string;
  /** Shown on the PaymentIntent (and the card statement's details in the Dashboard). */
  description: string;
}

export interface SavedCardOutcome {
  outcome: 'completed' | 'failed' | null;
  failureReason?: string;
  /** The paid invoice's hosted page (stripe/invoice_off_session.ts): the deposit's invoice link. */
  invoiceUrl?: string | null;
  /**
   * Not a decline: the bank wants the customer to authenticate (3-D Secure), and nothing was
   * charged (outcome stays null). What Stripe answers to an off-session payment is a 402
   * `authentication_required`, its PaymentIntent back in requires_payment_method: `url` is null
   * and the caller offers the customer a page of its own (openAuthenticationPage). Some
   * integrations instead get the PaymentIntent waiting in requires_action with Stripe's page in
   * next_action.redirect_to_url: that page is `url`.
   */
  authentication?: { paymentIntentId: string; url: string | null };
}

export interface AuthenticationPageRequest {
  workspaceId: string;
  transactionId: string;
  transactionKey: string;
  amountCents: number;
  customerId: string;
}

export interface AuthenticationPage {
  sessionId: string;
  url: string;
}

export interface PaymentsPort {
  /**
   * One off-session payment on the saved card: `completed` or `failed` when the processor decided,
   * `null` when it did not (or did not answer; the webhook and reconciliation settle it later).
   */
  chargeSavedCard(charge: SavedCardCharge): Promise<SavedCardOutcome>;
  /** A page where the customer authenticates a pending auto-recharge; null when none could be made. */
  openAuthenticationPage(request: AuthenticationPageRequest): Promise<AuthenticationPage | null>;
  /** Whether a dispute of the workspace is still open, as the processor last said (in the shard). */
  hasOpenDispute(shard: DrizzleD1Database, workspaceId: string): Promise<boolean>;
}
