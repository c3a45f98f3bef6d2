// Deductions and adjustments are durable first in the ledger object's own SQLite, not in D1: a group
// of them is decided, its D1 statements and the keys it wrote are stored here in one synchronous
// transaction in the object's queue turn, and the callers are answered (the output gate holds the
// answers until that write is durable). The projector (entry_projector.ts) then sends the groups to
// the shard in order and deletes them here once D1 committed them.
//
// The key index remembers every caller-namespace idempotency key the object wrote (caller_keys.ts:
// only deductions and adjustments use them), with the entry as it was answered, so that replays and
// conflicts are decided here without a D1 read. It is kept for ever: about 250 bytes per entry here,
// against about 560 in the shard, so the shard fills first.
import { LedgerInvariantError } from './load_state';
import type { PlainStatement } from './group_batch';
import type { TransactionRow } from './transaction_view';

const SCHEMA = [
  // AUTOINCREMENT: a seq is never reused, even once the table is empty, so readers can compare the
  // seq the object answered with the one D1 says it projected.
  `CREATE TABLE IF NOT EXISTS entry_journal (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     statements TEXT NOT NULL,
     ids TEXT NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS entry_keys (
     key TEXT PRIMARY KEY,
     entry TEXT NOT NULL
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS entry_journal_meta (
     name TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) WITHOUT ROWID`,
];

/** A journaled group as the projector reads it back. */
export interface JournaledGroup {
  seq: number;
  statements: PlainStatement[];
  /** The ids of the entries the group wrote (to tell, after an ambiguous failure, whether D1 holds them). */
  ids: string[];
}

/** The marker set once the key index holds every caller key D1 had before this object journaled. */
const BACKFILLED = 'backfilled';

export class EntryJournal {
  /** The journal's bounds, kept in memory (the projector and readers ask on every call). */
  private firstSeq: number | null;
  private lastSeqAppended: number;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly sql: SqlStorage = storage.sql,
  ) {
    for (const statement of SCHEMA) this.sql.exec(statement);
    const bounds = this.sql.exec<{ first: number | null; last: number | null }>('SELECT MIN(seq) AS first, MAX(seq) AS last FROM entry_journal').one();
    this.firstSeq = bounds.first;
    const ever = this.sql.exec<{ seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'entry_journal'`).toArray()[0];
    this.lastSeqAppended = ever?.seq ?? 0;
  }

  /** True when every journaled group is in D1. */
  get empty(): boolean {
    return this.firstSeq === null;
  }

  /** The seq of the last group journaled (0: none ever): everything answered so far is at or below it. */
  get answeredSeq(): number {
    return this.lastSeqAppended;
  }

  /** The entries already written under these keys, as they were answered. */
  known(keys: readonly string[]): Map<string, TransactionRow> {
    const found = new Map<string, TransactionRow>();
    if (keys.length === 0) return found;
    const cursor = this.sql.exec<{ key: string; entry: string }>('SELECT key, entry FROM entry_keys WHERE key IN (SELECT value FROM json_each(?))', JSON.stringify(keys));
    for (const row of cursor) found.set(row.key, JSON.parse(row.entry) as TransactionRow);
    return found;
  }

  /**
   * Stores a decided group: its statements, and its entries in the key index, in one transaction.
   * Throws (and stores nothing) when SQLite refuses; then no caller of the group is answered.
   */
  append(statements: PlainStatement[], rows: TransactionRow[]): number {
    return this.storage.transactionSync(() => {
      const seq = this.sql
        .exec<{ seq: number }>('INSERT INTO entry_journal (statements, ids) VALUES (?, ?) RETURNING seq', JSON.stringify(statements), JSON.stringify(rows.map((r) => r.id)))
        .one().seq;
      this.index(rows);
      this.firstSeq ??= seq;
      this.lastSeqAppended = seq;
      return seq;
    });
  }

  /** Entries in the key index (new ones, or ones D1 held before the index existed). */
  index(rows: readonly TransactionRow[]): void {
    for (const row of rows) {
      this.sql.exec('INSERT INTO entry_keys (key, entry) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', row.idempotencyKey, JSON.stringify(row));
    }
  }

  /** The oldest journaled groups, in order, at most `limit` of them. */
  oldest(limit: number): JournaledGroup[] {
    return this.sql
      .exec<{ seq: number; statements: string; ids: string }>('SELECT seq, statements, ids FROM entry_journal ORDER BY seq LIMIT ?', limit)
      .toArray()
      .map((r) => ({ seq: r.seq, statements: JSON.parse(r.statements) as PlainStatement[], ids: JSON.parse(r.ids) as string[] }));
  }

  /** The groups up to `seq` are in D1: they leave the journal (their keys stay in the index). */
  projectedThrough(seq: number): void {
    if (this.firstSeq === null || seq < this.firstSeq) throw new LedgerInvariantError('projected a journal group that is not the oldest');
    this.sql.exec('DELETE FROM entry_journal WHERE seq <= ?', seq);
    this.firstSeq = this.sql.exec<{ first: number | null }>('SELECT MIN(seq) AS first FROM entry_journal').one().first;
  }

  get backfilled(): boolean {
    return this.sql.exec('SELECT 1 FROM entry_journal_meta WHERE name = ?', BACKFILLED).toArray().length > 0;
  }

  markBackfilled(): void {
    this.sql.exec('INSERT INTO entry_journal_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', BACKFILLED, String(Date.now()));
  }
}
