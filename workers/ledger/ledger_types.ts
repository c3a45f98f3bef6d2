// What the WorkspaceLedger object takes and answers over RPC.

export interface PostEntryInput {
  workspaceId: string;
  /** The caller's id for this mutation, which is also its idempotency key. */
  id: string;
  /**
   * deduction: take `amountMicros` (> 0) or nothing (402).
   * adjustment: a grant when positive; a correction when negative, applied only down to a zero
   * spendable balance, the rest recorded as forgiven. refund and dispute (Stripe taking money back,
   * or a dispute's funds given back) are applied as adjustments are.
   */
  kind: 'deduction' | 'adjustment' | 'refund' | 'dispute' | 'capture';
  amountMicros: number;
  description: string;
  memberId?: string | null;
  /** The entry's transaction id when it was chosen before (a region's answer, workers/regions/); else a new one. */
  transactionId?: string;
  /**
   * A refund or dispute: the deposit (its ledger entry's id) whose money goes back. Its own credit
   * block is taken first, then other paid blocks (blocks/refund_funding.ts). Not part of the request's
   * identity: it follows from the Stripe object that the key names.
   */
  depositTransactionId?: string;
  /** The Stripe event that caused this entry (a refund): recorded as processed, in the directory, once the entry committed. */
  stripeEvent?: { id: string; type: string };
  /** A platform notification the entry causes, put in the outbox in the same batch; its data gains the entry's `transactionId` and `amountMicros`. */
  notify?: { type: 'payment.disputed'; data: Record<string, unknown> };
}

export interface CreditSummary {
  balanceMicros: number;
  accumulatingMicros: number;
  burnRateMicrosPerHour: number;
  hoursRemaining: number | null;
  /** Unspent credit blocks by category (their sum is the settled balance). */
  paidMicros: number;
  promotionalMicros: number;
  /** Reserved by active holds (holds/): already taken out of balanceMicros. */
  heldMicros: number;
  nextExpiry: { at: string; amountMicros: number } | null;
  updatedAt: string;
  /** Start of the oldest unsettled hour with usage (for the accumulating history row). */
  openSinceMs: number;
  /** The category of what expires next (internal: the dashboard's wording). */
  nextExpiryCategory: 'paid' | 'promotional' | 'mixed' | null;
  /** Where settlement has reached (internal: a far history page checks its replica against it). */
  settledThroughMs?: number;
}

/** The burn rate split: what runs now, and the trailing hour of event usage. */
export interface BurnBreakdown {
  running: Array<{
    resourceId: string;
    memberId: string | null;
    kind: 'instance' | 'volume';
    instanceType: string | null;
    sizeBytes: number | null;
    startedAt: string;
    microsPerHour: number;
  }>;
  runningMicrosPerHour: number;
  /** Tokens, tool executions and charges over the trailing hour. */
  recentMicrosPerHour: number;
  /** running + recent: the CreditSummary's burn rate at `at`. */
  burnRateMicrosPerHour: number;
  at: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  costMicros: number;
}

export interface OpenDepositInput {
  workspaceId: string;
  /** Idempotency key of the entry: `checkout:<session id>` or `auto:<n>`. */
  key: string;
  type: 'deposit' | 'auto_recharge';
  amountMicros: number;
  description: string;
  sessionId?: string;
  /** The entry's id, when the caller needed it before the entry existed (a Checkout cancel URL). */
  transactionId?: string;
}

export interface SavedCardDepositInput {
  workspaceId: string;
  /** Idempotency key of the deposit (`card:<form key>`); also the PaymentIntent's. */
  key: string;
  /** The entry's id, when the caller derives it (an API Idempotency-Key, see billing/topup_key.ts). */
  transactionId?: string;
  amountCents: number;
  description: string;
}

export interface CloseDepositInput {
  workspaceId: string;
  key: string;
  outcome: 'completed' | 'failed';
  failureReason?: string;
  invoiceUrl?: string | null;
  event?: { id: string; type: string };
}

/** Auto-top-up settings as the ledger object stores them (PUT /v1/billing/auto-topup, the dashboard form). */
export interface AutoTopupSettingsInput {
  enabled: boolean;
  thresholdCents: number;
  topupAmountCents: number;
  /** Omitted: fixed, no target, no monthly cap (PUT replaces every setting). */
  mode?: 'fixed' | 'target';
  targetCents?: number | null;
  monthlyLimitCents?: number | null;
}

/** The customer's default card at Stripe, copied beside the ledger (null when the last card went). */
export interface DefaultCardInput {
  workspaceId: string;
  customerId: string;
  card: { id: string; brand: string | null; last4: string | null } | null;
}
