// Money is integer micro-credits (1 credit = 1 USD = 1,000,000 micros); cents only at Stripe.
export const MICROS_PER_CREDIT = 1_000_000;
export const MICROS_PER_CENT = 10_000;

// The largest single ledger movement accepted: one million credits. Keeps every sum of entries far
// inside the range where JavaScript numbers are exact integers (2^53 micros is about 9 billion credits).
export const MAX_ENTRY_MICROS = 1_000_000 * MICROS_PER_CREDIT;

// The largest balance a workspace may hold: one billion credits (10^15 micros). A grant, adjustment
// or deposit that would take the balance above it is refused (400). It sits well below 2^53 micros
// (about 9 billion credits), so a deposit already paid at Stripe — always credited — still has room.
export const MAX_BALANCE_MICROS = 1_000_000_000 * MICROS_PER_CREDIT;

export const centsToMicros = (cents: number): number => cents * MICROS_PER_CENT;

/** `$25.00` for 2500 cents, in ledger descriptions; integer arithmetic, no float in between. */
export const dollarsFromCents = (cents: number): string => `$${Math.floor(cents / 100)}.${(cents % 100).toString().padStart(2, '0')}`;
