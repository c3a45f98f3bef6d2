// What a failed D1 batch means, told by the constraint it names. D1 reports SQLite's message as
// text, so this is the one place that reads it. SQLite names a UNIQUE (or PRIMARY KEY) violation by
// its columns ("UNIQUE constraint failed: members.workspace_id, members.email") and a CHECK by its
// name ("CHECK constraint failed: balances_non_negative").

/** A UNIQUE constraint or primary key refused a row (an idempotency key or id already used). */
export const isUniqueViolation = (error: unknown): boolean => /UNIQUE constraint failed|PRIMARY KEY/.test(String(error));

/** A UNIQUE constraint or primary key on exactly these columns (as SQLite lists them) refused a row. */
const uniqueViolationOn =
  (columns: string) =>
  (error: unknown): boolean => {
    // The column list ends where D1 appends its own suffix (": SQLITE_CONSTRAINT") or the line does.
    const named = /UNIQUE constraint failed: ([^:\n(]*)/.exec(String(error))?.[1]?.trim();
    return named === columns;
  };

/** Another member of the workspace already has this email (unique index members_workspace_email). */
export const isDuplicateMemberEmail = uniqueViolationOn('members.workspace_id, members.email');

/** A ledger entry with this idempotency key already exists in the workspace (a replay). */
export const isDuplicateIdempotencyKey = uniqueViolationOn('transactions.workspace_id, transactions.idempotency_key');

/** A resource with this id already exists (the id is the platform's, and the primary key). */
export const isDuplicateResourceId = uniqueViolationOn('resources.id');

/** The guarded balance update changed no row: the object's cached balance or settled point was stale. */
export const isBalanceGuardMiss = (error: unknown): boolean => String(error).includes('transactions_completed_has_balance_after');

/** The balance would have gone below zero (the last line of defence). */
export const isNegativeBalance = (error: unknown): boolean => String(error).includes('balances_non_negative');

/** Someone else (an earlier life of the object) wrote first, or the cache was stale: rebuild and retry. */
export const isLedgerConflict = (error: unknown): boolean => isUniqueViolation(error) || isBalanceGuardMiss(error);
