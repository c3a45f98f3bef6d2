// Test-only switches of the seeded simulator (test/sim/, docs/simulation.md): faults it injects
// into the ledger objects' D1 and their card payments, and deliberately broken rules that prove its invariants can fail.
// They are honoured only after a ledger object was built with the binding SIM_HOOKS = 'enabled',
// which only vitest.config.ts sets (wrangler.toml never does: test/sim/sim_hooks.test.ts checks
// that the deployed Worker's bindings lack it). The simulator, in the same isolate as the Worker
// under test, sets globalThis.__burnrateSim; without the binding that object is never read.

/** One deliberately broken rule per invariant the simulator checks. */
export const SIM_BREAK_RULES = [
  /** A replayed adjustment is written again instead of answered from its first result. */
  'adjustment_idempotency',
  /** A deduction is not refused when the balance cannot cover it. */
  'deduction_below_zero',
  /** A refund entry is keyed by the delivery, not by Stripe's refund id: each delivery moves the ledger. */
  'stripe_refund_per_delivery',
  /** Tool executions are counted twice into the hour's rollup (settlement bills them twice). */
  'usage_double_count',
  /** The balance row moves one micro more than the entry that moved it. */
  'balance_drift',
  /** A transaction is read by id without the caller's workspace in the query. */
  'tenancy_leak',
  /** A debit's funding rows are not written (its blocks keep in D1 what the balance lost). */
  'block_funding_skipped',
  /** A deduction's funding rows name another transaction (the blocks add up, the debit is unfunded). */
  'funding_misattributed',
  /** A refund or withdrawn dispute is funded from any block, promotional ones too. */
  'refund_takes_promotional',
  /** A void of a voided grant writes another expiration instead of answering the first. */
  'void_expires_again',
  /** The credit check answers one micro more than the workspace holds. */
  'credit_check_over_blocks',
  /** A released hold stays in the object's active holds: its credits stay reserved (and listed) after the release. */
  'release_keeps_held',
  /** A capture of a released hold is not refused: the hold gets a transaction after it ended released. */
  'capture_after_release',
  /** A member's spend-limit check leaves out the member's active holds. */
  'limit_ignores_holds',
  /** A regional object's free lease leaves out its unreported spends: it spends its lease again before it reports. */
  'region_spends_lease_twice',
  /** A balance threshold is not remembered as crossed: it fires again on every change while the balance stays below it. */
  'threshold_fires_again',
] as const;
export type SimBreakRule = (typeof SIM_BREAK_RULES)[number];

/** What the simulator controls: a broken rule, faults of the ledger objects' D1, and of the regional objects. */
export interface SimControl {
  break: SimBreakRule | null;
  /** failNext: round trips that fail; delayMs: latency of each; evictAt: the object is evicted at its n-th round trip (0: never). */
  d1: { failNext: number; delayMs: number; evictAt: number };
  /**
   * evictAfterExchange: the next regional object that gets home's answer to a lease exchange is
   * evicted before it applies it (home has recorded the exchange; the region has not).
   */
  region?: { evictAfterExchange: boolean };
  /**
   * The next saved-card payment (a top-up or an auto-recharge): after Stripe decided it, its answer
   * lost (the ledger hears "undecided") or the ledger object evicted before it records the outcome;
   * or the object evicted just before it sends the payment (ledger/object/sim_payment_faults.ts).
   */
  payments?: { answerLost: boolean; evictAfterCharge: boolean; evictBeforeCharge?: boolean };
}

let enabled = false;

/** Called with the bindings a ledger object (or the Worker) was built with: enables the hooks in tests only. */
export function enableSimHooks(env: { SIM_HOOKS?: string }): void {
  if (env.SIM_HOOKS === 'enabled') enabled = true;
}

/** The simulator's control object, or null (always, unless the test-only binding enabled the hooks). */
export function simControl(): SimControl | null {
  if (!enabled) return null;
  return ((globalThis as { __burnrateSim?: SimControl }).__burnrateSim ?? null);
}

/** True when the simulator has deliberately broken this rule (never outside tests). */
export const simBroken = (rule: SimBreakRule): boolean => simControl()?.break === rule;
