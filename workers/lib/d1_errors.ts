// What a failed D1 batch means, told by the constraint it names. D1 reports SQLite's message as
// text, so this is the one place that reads it.

/** A UNIQUE constraint or primary key refused a row (an idempotency key or id already used). */
export const isUniqueViolation = (error: unknown): boolean => /UNIQUE constraint failed|PRIMARY KEY/.test(String(error));

/** The guarded balance update changed no row: the object's cached balance or settled point was stale. */
export const isBalanceGuardMiss = (error: unknown): boolean => String(error).includes('transactions_completed_has_balance_after');

/** The balance would have gone below zero (the last line of defence). */
export const isNegativeBalance = (error: unknown): boolean => String(error).includes('balances_non_negative');

/** Someone else (an earlier life of the object) wrote first, or the cache was stale: rebuild and retry. */
export const isLedgerConflict = (error: unknown): boolean => isUniqueViolation(error) || isBalanceGuardMiss(error);
