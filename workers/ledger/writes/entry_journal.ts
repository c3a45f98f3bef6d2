// Deductions and adjustments are durable first in the ledger object's own SQLite, not in D1: a group
// of them is decided, its D1 statements and the keys it wrote are stored here in one synchronous
// transaction in the object's queue turn, and the callers are answered (the output gate holds the
// answers until that write is durable). The projector (entry_projector.ts) then sends the groups to
// the shard in order and marks them projected once D1 committed them; they are deleted here in the
// next group's transaction (or once the object goes quiet), not in a storage write of their own.
//
// The key index remembers every caller-namespace idempotency key the object wrote (caller_keys.ts:
// only deductions and adjustments use them), with the entry as it was answered, so that replays and
// conflicts are decided here without a D1 read. It is kept for ever: about 250 bytes per entry here,
// against about 560 in the shard, so the shard fills first.
import { LedgerInvariantError } from '../state/ledger_state';
import type { PlainStatement } from './group_batch';
import { ensureLayout } from '../state/object_layout';
import type { TransactionRow } from '../transaction_view';

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

/** Groups kept in memory for the projector at most (beyond, it reads them back from SQLite). */
const MAX_RECENT_GROUPS = 256;

/** The marker set once the key index holds every caller key D1 had before this object journaled. */
const BACKFILLED = 'backfilled';
/** The marker of the layout in SCHEMA (object_layout.ts): a new name whenever SCHEMA changes. */
const JOURNAL_LAYOUT = 'entry_journal_layout_1';

export class EntryJournal {
  /**
   * The journal's bounds, kept in memory (the projector and readers ask on every call): groups up
   * to `projectedSeq` are in D1; `lastSeqAppended` is the last group journaled.
   */
  private projectedSeq: number;
  private lastSeqAppended: number;
  /**
   * Projected groups are deleted from SQLite later, not in a storage write of their own: in the
   * transaction of the next group's append, or by compact() when the object goes quiet. Rows up to
   * this seq are gone; those above it and up to projectedSeq are projected but still stored (after
   * an eviction they are sent again, and the projector finds D1 holds them already).
   */
  private deletedThroughSeq: number;
  /** The groups journaled in this object's life and not yet projected, in order (what oldest() reads). */
  private recent: JournaledGroup[] = [];
  private backfilledKnown: boolean;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly sql: SqlStorage = storage.sql,
  ) {
    // Run on every cold start of the object: one read of the schema when the layout is current, one of the bounds.
    ensureLayout(this.sql, JOURNAL_LAYOUT, SCHEMA);
    const start = this.sql
      .exec<{ first: number | null; ever: number | null; backfilled: number }>(
        `SELECT (SELECT MIN(seq) FROM entry_journal) AS first,
                (SELECT seq FROM sqlite_sequence WHERE name = 'entry_journal') AS ever,
                EXISTS (SELECT 1 FROM entry_journal_meta WHERE name = ?) AS backfilled`,
        BACKFILLED,
      )
      .one();
    this.lastSeqAppended = start.ever ?? 0;
    // Whatever a previous life of the object left here is taken as not projected yet.
    this.projectedSeq = start.first === null ? this.lastSeqAppended : start.first - 1;
    this.deletedThroughSeq = this.projectedSeq;
    this.backfilledKnown = start.backfilled === 1;
  }

  /** True when every journaled group is in D1. */
  get empty(): boolean {
    return this.projectedSeq >= this.lastSeqAppended;
  }

  /** The seq of the last group journaled (0: none ever): everything answered so far is at or below it. */
  get answeredSeq(): number {
    return this.lastSeqAppended;
  }

  /** True when D1 lacks at least `n` journaled groups (told from memory: seqs follow each other). */
  unprojectedAtLeast(n: number): boolean {
    return this.lastSeqAppended - this.projectedSeq >= n;
  }

  /** How many journaled groups D1 does not hold yet (for tests and logs). */
  get pendingGroups(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM entry_journal WHERE seq > ?', this.projectedSeq).one().n;
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
    const ids = rows.map((r) => r.id);
    const deleteThroughSeq = this.projectedSeq;
    const seq = this.storage.transactionSync(() => {
      // The groups projected since the last write leave in this same transaction (no write of their own).
      if (deleteThroughSeq > this.deletedThroughSeq) this.sql.exec('DELETE FROM entry_journal WHERE seq <= ?', deleteThroughSeq);
      const appended = this.sql.exec<{ seq: number }>('INSERT INTO entry_journal (statements, ids) VALUES (?, ?) RETURNING seq', JSON.stringify(statements), JSON.stringify(ids)).one().seq;
      this.index(rows);
      return appended;
    });
    this.deletedThroughSeq = deleteThroughSeq;
    this.lastSeqAppended = seq;
    // Kept only as a contiguous run, and not without bound (a D1 outage piles groups up: read back then).
    const last = this.recent[this.recent.length - 1];
    if (last ? last.seq === seq - 1 && this.recent.length < MAX_RECENT_GROUPS : true) this.recent.push({ seq, statements, ids });
    return seq;
  }

  /**
   * Entries in the key index (new ones, or ones D1 held before the index existed): one statement
   * for all of them (a group's worth on the hot path). Each entry is stored as its JSON text.
   */
  index(rows: readonly TransactionRow[]): void {
    if (rows.length === 0) return;
    this.sql.exec(
      // `WHERE true`: SQLite's parser needs it before an upsert clause on INSERT … SELECT.
      `INSERT INTO entry_keys (key, entry) SELECT e.value ->> '$.idempotencyKey', e.value FROM json_each(?) AS e WHERE true ON CONFLICT (key) DO NOTHING`,
      JSON.stringify(rows),
    );
  }

  /** The oldest journaled groups, in order, at most `limit` of them. */
  oldest(limit: number): JournaledGroup[] {
    // From memory when it holds the oldest one (always, unless a previous life left groups here).
    if (this.recent[0]?.seq === this.projectedSeq + 1) return this.recent.slice(0, limit);
    return this.sql
      .exec<{ seq: number; statements: string; ids: string }>('SELECT seq, statements, ids FROM entry_journal WHERE seq > ? ORDER BY seq LIMIT ?', this.projectedSeq, limit)
      .toArray()
      .map((r) => ({ seq: r.seq, statements: JSON.parse(r.statements) as PlainStatement[], ids: JSON.parse(r.ids) as string[] }));
  }

  /**
   * The groups up to `seq` are in D1: they leave the journal (their keys stay in the index), in
   * the next append's transaction or at the next compact().
   */
  projectedThrough(seq: number): void {
    if (this.empty || seq <= this.projectedSeq || seq > this.lastSeqAppended) throw new LedgerInvariantError('projected a journal group that is not the oldest');
    this.projectedSeq = seq;
    while (this.recent.length > 0 && this.recent[0]!.seq <= seq) this.recent.shift();
  }

  /** Deletes the projected groups still stored (when the object goes quiet: no append will). */
  compact(): void {
    const throughSeq = this.projectedSeq;
    if (throughSeq <= this.deletedThroughSeq) return;
    this.sql.exec('DELETE FROM entry_journal WHERE seq <= ?', throughSeq);
    this.deletedThroughSeq = throughSeq;
  }

  /** True once the key index holds the caller keys D1 had before this object kept an index (read at start, then kept). */
  get backfilled(): boolean {
    return this.backfilledKnown;
  }

  markBackfilled(): void {
    this.sql.exec('INSERT INTO entry_journal_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', BACKFILLED, String(Date.now()));
    this.backfilledKnown = true;
  }
}
