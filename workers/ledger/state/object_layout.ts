// The ledger object's own SQLite tables are created by the object itself, on its first start. Every
// cold start (an alarm, a queue message, the first call after an eviction) used to run each
// `CREATE … IF NOT EXISTS` and the upgrade checks again: several statements per object, paid by
// every one of the thousands of objects hourly settlement wakes. A layout marker (an empty table
// named for the layout's version) lets a start tell a current layout with one read of the schema.
// Changing a layout (a table, an index, an upgrade step) means a new marker name: objects then run
// their idempotent schema statements and upgrades once more, and mark the new layout.

/** True when the object's storage has been brought to the layout `marker` names. */
function layoutReady(sql: SqlStorage, marker: string): boolean {
  return sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, marker).toArray().length > 0;
}

/**
 * Brings the object's storage to the layout `marker` names, unless it is marked already (one read):
 * `upgrade` first (moving an earlier layout's rows), then the layout's idempotent statements and
 * the marker, in one call.
 */
export function ensureLayout(sql: SqlStorage, marker: string, statements: readonly string[], upgrade?: () => void): void {
  if (layoutReady(sql, marker)) return;
  upgrade?.();
  sql.exec([...statements, `CREATE TABLE IF NOT EXISTS "${marker}" (marked INTEGER)`].join(';\n'));
}
