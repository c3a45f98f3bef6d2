// Callers' ids and the ledger's own idempotency keys share one column. The ledger's keys start with
// a reserved prefix (`settle:` for an hour, `checkout:`, `auto:`, `card:` for deposits, `refund:`,
// `dispute:` for Stripe objects, `grant:` for grants (their own namespace of caller ids), `expire:`
// for a credit block's expiration); a caller id that starts with one of them, or with `caller:`, is
// stored behind `caller:`, so no caller id can ever take a key the ledger needs (an adjustment with
// id `settle:<hour>` once blocked that hour's settlement) and every caller id still maps to exactly
// one key. Ids without such a prefix, which is nearly all, are stored as sent. (`grant:` and `expire:`
// joined with credit blocks: an adjustment made earlier under an id starting with one of them is
// stored as sent, and its retry now maps to `caller:…`, a new key; docs/credit-blocks.md says so.)
const RESERVED = ['settle:', 'checkout:', 'auto:', 'card:', 'refund:', 'dispute:', 'grant:', 'expire:', 'caller:'];

export function callerKey(callerId: string): string {
  return RESERVED.some((prefix) => callerId.startsWith(prefix)) ? `caller:${callerId}` : callerId;
}

/** The id the caller sent, from a stored key (for messages). */
export const callerIdOf = (key: string): string => (key.startsWith('caller:') ? key.slice('caller:'.length) : key);

/** True for a key in the callers' namespace (as callerKey makes them), not one the ledger reserves for itself. */
export const isCallerKey = (key: string): boolean => key.startsWith('caller:') || !RESERVED.some((prefix) => key.startsWith(prefix));

/** The ledger's own key prefixes (for SQL that must tell caller keys apart). */
export const LEDGER_KEY_PREFIXES: readonly string[] = RESERVED.filter((p) => p !== 'caller:');
