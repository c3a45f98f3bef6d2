// The limits that keep every amount an exact safe integer end to end: the one home of these numbers.
// docs/amount-limits.md states them in the contract's terms.
//
// JavaScript numbers (and the JSON numbers clients parse into them) are exact integers up to
// 2^53 − 1 = 9,007,199,254,740,991 ≈ 9.007e15, so every amount the service computes, stores or answers
// must stay below that, with room for the sums made of it. Exact costs are BigInt (exact_cost.ts):
// they cannot overflow, but each is rounded to a Number once per line, so the bounds are on lines and
// on what is summed from lines.
//
// 1. One event costs at most MAX_EVENT_MICROS = 10^12 (1,000,000 credits), the largest single ledger
//    movement (MAX_ENTRY_MICROS: a charge event's amountMicros, a deduction, an adjustment). The
//    pricing schema makes that true of every event priced with a list accepted since these bounds:
//      model     2 sides × 5×10^8 tokens × 10^9 µ per 10^6 tokens  = 10^12
//      tool      one execution ≤ 10^9 µ                             ≤ 10^12
//      charge    amountMicros ≤ 10^12                               = 10^12
//    and ingestion still checks it, for lists stored before (they allowed 10^12 µ per million tokens).
// 2. One line of an hour (one model, the tools line, one charge; as price_hour.ts prices it) holds at
//    most MAX_LINE_HOUR_MICROS = 2×10^12 (2,000,000 credits): ingestion refuses the request whose
//    events would take an open hour's line past it. Resource lines are bounded by the schemas:
//      instance  ≤ 10^10 µ per hour (MAX_MICROS_PER_INSTANCE_HOUR)                         = 10^10
//      volume    10^15 bytes (the largest sizeBytes) = 10^6 GB × 10^8 µ per GB-month / 730 ≈ 1.37×10^11
// 3. All event lines of one workspace-hour together hold at most MAX_HOUR_EVENT_MICROS = 5×10^12
//    (5,000,000 credits), and their tokens (input + output, every model, BYOK included: they cost
//    nothing, so no money limit bounds them) at most MAX_HOUR_TOKENS = 10^12.
//
// What that leaves, against 2^53 ≈ 9.007×10^15:
//   - an hour's settlement (its total, charged and forgiven micros, the CSV's amounts): events
//     ≤ 5×10^12 plus resources ≤ 1.37×10^11 each — 1,800× under 2^53 with no resource, and it would
//     take 65,000 running volumes of a petabyte at the top storage price to reach it;
//   - a balance: ≤ MAX_BALANCE_MICROS = 10^15 (balance_cap.ts), 9× under;
//   - a month of usage (my-usage `current`, `30d`: at most 745 hour lines of each kind): events
//     ≤ 745 × 5×10^12 = 3.7×10^15, 2.4× under; tokens ≤ 745 × 10^12 = 7.5×10^14, 12× under;
//   - `accumulatingMicros` (every open hour): 1,800 open hours at the event limit, i.e. 75 days with
//     no settlement, to reach 2^53;
//   - quotes: `seconds` ≤ 366 days × 10^10 µ per hour = 8.8×10^13.
// `all_time` sums (my-usage) are the one place time is unbounded: they are added exactly and checked
// (assertSafeMicros), and a workspace would have to use 9 billion credits to reach the limit.

import { MAX_ENTRY_MICROS } from '../lib/money';

/** Input or output tokens of one event. */
export const MAX_TOKENS_PER_EVENT = 500_000_000;
/** A model's price, either side: $1,000 per million tokens. */
export const MAX_MICROS_PER_MILLION_TOKENS = 1_000_000_000;
/** One tool execution: $1,000. */
export const MAX_MICROS_PER_EXECUTION = 1_000_000_000;
/** An instance type: $10,000 an hour. */
export const MAX_MICROS_PER_INSTANCE_HOUR = 10_000_000_000;
/** Storage: $100 per GB-month. */
export const MAX_MICROS_PER_GB_MONTH = 100_000_000;
/** A volume: 1 PB (10^15 bytes). */
export const MAX_VOLUME_BYTES = 1_000_000_000_000_000;

/** What one event may cost: 1,000,000 credits. */
export const MAX_EVENT_MICROS = MAX_ENTRY_MICROS;
/** What one line (model, tools, charge) of an hour may hold: 2,000,000 credits. */
export const MAX_LINE_HOUR_MICROS = 2 * MAX_EVENT_MICROS;
/** What all event lines of a workspace's hour may hold together: 5,000,000 credits. */
export const MAX_HOUR_EVENT_MICROS = 5 * MAX_EVENT_MICROS;
/** Tokens (input + output, every model) of a workspace's hour. */
export const MAX_HOUR_TOKENS = 1_000_000_000_000;

/**
 * The boundary check where a computed amount leaves exact arithmetic: a number that is not a safe
 * integer is a broken bound, never an answer. `what` names it in the error.
 */
export function assertSafeMicros(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what}: ${value} is not an exact integer (beyond 2^53); an amount bound is broken`);
  return value;
}
