/** What one reconciliation with Stripe found and did (the contract's ReconciliationReport). */
export interface ReconciliationReport {
  startedAt: string;
  finishedAt: string;
  /** Stripe events listed since the last run's cursor (minus the overlap). */
  eventsScanned: number;
  /** Events not processed before that concerned burnrate and went through their fulfilment path now. */
  eventsApplied: number;
  /** Deposits pending for over 30 minutes that Stripe's answer settled (completed or failed). */
  pendingResolved: number;
  /** Ledger entries this run made or settled: what the webhook had not (yet) done. */
  repaired: Repair[];
  /** Disagreements between Stripe and the ledger that reconciliation cannot repair: for a person to look at. */
  mismatches: Mismatch[];
}

export interface Repair {
  workspaceId: string;
  stripeObjectId: string;
  transactionId: string;
  what: string;
}

export interface Mismatch {
  workspaceId: string;
  stripeObjectId: string;
  detail: string;
}
