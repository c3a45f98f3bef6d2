// The idempotency key of a hold's capture entry. It must never be a key a caller's id maps to
// (caller_keys.ts), yet stay in the callers' namespace so that the capture is journaled like a
// deduction (entry_journal.ts) and its replays are told by the key index. `caller:hold:<id>` is
// both: callerKey() puts `caller:` only before ids that start with a reserved prefix, and `hold:`
// is not one, so no caller id ever maps to it; isCallerKey() holds for it.
export const holdEntryKey = (holdId: string): string => `caller:hold:${holdId}`;
