// The workspace's raw usage events and open-hour rollups, in its ledger object's own SQLite storage.
// Writes are synchronous inside the object's queue turn: the output gate holds every answer until
// they are durable, and no D1 round trip sits on the ingestion path. D1 only ever receives what
// settlement makes of an hour (its transaction, lines and rollups), so it grows with
// workspace-hours, never with events.
import type { EventRow, TimedRollup } from '../../usage/roll_up';
import { ensureLayout } from '../state/object_layout';
import type { RollupRow } from '../../usage/price_hour';

/** A rollup as the store keeps it: charge lines also remember when the charge happened. */
export type StoredRollup = TimedRollup;

/** One stored event, as the audit listing and the archive show it. */
export interface StoredEvent {
  /** Arrival order in this object's store: the listing's and the archive's order, and the cursor. */
  seq: number;
  eventId: string;
  hourMs: number;
  occurredAtMs: number;
  memberId: string;
  type: 'model' | 'tool_execution' | 'charge';
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  byok: boolean;
  amountMicros: number;
  description: string | null;
}

const EVENT_COLUMNS = `event_id, request_hash, hour_ms, occurred_at_ms, member_id, type, line_key, input_tokens, output_tokens, amount_micros, price_version, byok, description`;

const SCHEMA = [
  // Rows are appended in arrival order (seq, the rowid), and the hour index holds (hour_ms, seq):
  // a group of events touches the last pages of both. Only the unique index on the id takes random
  // inserts, and its entries are small. Keyed by a random id (a UUID, as platforms send them), the
  // table itself and an index by (hour, id) took random inserts too: about three times the pages
  // written per group, which halved ingestion with UUIDs.
  `CREATE TABLE IF NOT EXISTS usage_events (
     seq INTEGER PRIMARY KEY,
     event_id TEXT NOT NULL UNIQUE,
     request_hash TEXT NOT NULL,
     hour_ms INTEGER NOT NULL,
     occurred_at_ms INTEGER NOT NULL,
     member_id TEXT NOT NULL,
     type TEXT NOT NULL,
     line_key TEXT NOT NULL,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     amount_micros INTEGER NOT NULL,
     price_version INTEGER NOT NULL,
     byok INTEGER NOT NULL,
     description TEXT
   )`,
  // Listing, archiving and pruning go by billed hour, in arrival order within it.
  'CREATE INDEX IF NOT EXISTS usage_events_by_hour ON usage_events (hour_ms)',
  `CREATE TABLE IF NOT EXISTS usage_rollups (
     hour_ms INTEGER NOT NULL,
     member_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     line_key TEXT NOT NULL,
     price_version INTEGER NOT NULL,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     count INTEGER NOT NULL,
     amount_micros INTEGER NOT NULL,
     description TEXT,
     occurred_at_ms INTEGER,
     PRIMARY KEY (hour_ms, member_id, kind, line_key, price_version)
   ) WITHOUT ROWID`,
];

/** The marker of the layout above (object_layout.ts): a new name whenever SCHEMA or the upgrade changes. */
const EVENTS_LAYOUT = 'usage_events_layout_2';

/**
 * An object that stored events before they had a seq (a table keyed by id, WITHOUT ROWID) moves
 * them once, in one transaction, in (hour, id) order: its earlier listing order.
 */
function upgradeKeyedByIdTable(storage: DurableObjectStorage, sql: SqlStorage): void {
  const columns = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('usage_events')`).toArray();
  if (columns.length === 0 || columns.some((c) => c.name === 'seq')) return;
  storage.transactionSync(() => {
    sql.exec('ALTER TABLE usage_events RENAME TO usage_events_keyed_by_id');
    sql.exec('DROP INDEX IF EXISTS usage_events_hour');
    sql.exec(SCHEMA[0]!);
    sql.exec(`INSERT INTO usage_events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM usage_events_keyed_by_id ORDER BY hour_ms, event_id`);
    sql.exec('DROP TABLE usage_events_keyed_by_id');
  });
}

type EventTuple = [string, string, number, number, string, string, string, number, number, number, number, number, string | null];

export class EventStore {
  /** oldestEventHourMs, cached; undefined: not read yet (or stale after a prune). */
  private oldestHourMs: number | null | undefined = undefined;
  /**
   * The oldest hour with rollups stored, cached the same way (undefined: not known). With the
   * oldest event hour, it lets the store skip the statements that could not match a row: most
   * workspaces settled each hour hold no events at all (a running instance is not an event), and
   * each statement on the object's SQLite costs CPU even when it finds nothing.
   */
  private oldestRollupHourMs: number | null | undefined = undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly sql: SqlStorage = storage.sql,
  ) {
    // The constructor runs on every cold start of the object: one read when the layout is current.
    ensureLayout(this.sql, EVENTS_LAYOUT, SCHEMA, () => upgradeKeyedByIdTable(storage, this.sql));
  }

  /** Request hashes of the ids among `ids` already stored. */
  knownHashes(ids: readonly string[]): Map<string, string> {
    const found = new Map<string, string>();
    if (ids.length === 0) return found;
    const cursor = this.sql.exec<{ event_id: string; request_hash: string }>(
      'SELECT event_id, request_hash FROM usage_events WHERE event_id IN (SELECT value FROM json_each(?))',
      JSON.stringify(ids),
    );
    for (const r of cursor) found.set(r.event_id, r.request_hash);
    return found;
  }

  /** Stores a group's events and adds its rollups, in one storage transaction. */
  append(rows: readonly EventRow[], byok: ReadonlySet<string>, descriptions: ReadonlyMap<string, string>, rollups: readonly StoredRollup[]): void {
    const events: EventTuple[] = rows.map((r) => [
      r.eventId,
      r.requestHash,
      r.hourMs,
      r.occurredAtMs,
      r.memberId,
      r.type,
      r.lineKey,
      r.inputTokens,
      r.outputTokens,
      r.amountMicros,
      r.priceVersion,
      byok.has(r.eventId) ? 1 : 0,
      descriptions.get(r.eventId) ?? null,
    ]);
    this.storage.transactionSync(() => {
      this.insertEvents(events);
      this.addRollups(rollups);
    });
    // Stored: the oldest hours can only have moved back.
    this.oldestHourMs = movedBack(this.oldestHourMs, rows);
    this.oldestRollupHourMs = movedBack(this.oldestRollupHourMs, rollups);
  }

  /** Every rollup of hours at or after `fromHourMs` (the open hours). */
  rollupsFrom(fromHourMs: number): StoredRollup[] {
    if (this.oldestRollupHour() === null) return [];
    return this.readRollups('WHERE hour_ms >= ?', fromHourMs);
  }

  rollupsOfHour(hourMs: number): StoredRollup[] {
    const oldest = this.oldestRollupHour();
    if (oldest === null || hourMs < oldest) return [];
    return this.readRollups('WHERE hour_ms = ?', hourMs);
  }

  /** Settled hours' rollups are in D1 now; the store keeps only the open ones. */
  dropRollupsBefore(hourMs: number): void {
    const oldest = this.oldestRollupHour();
    if (oldest === null || oldest >= hourMs) return;
    this.sql.exec('DELETE FROM usage_rollups WHERE hour_ms < ?', hourMs);
    this.oldestRollupHourMs = undefined;
  }

  /** Up to `limit` events billed in `hourMs`, in arrival order, after the one stored as `afterSeq`. */
  eventsOfHour(hourMs: number, afterSeq: number, limit: number): StoredEvent[] {
    const oldest = this.oldestEventHourMs();
    if (oldest === null || hourMs < oldest) return [];
    const rows = this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT seq, event_id, hour_ms, occurred_at_ms, member_id, type, line_key, input_tokens, output_tokens, byok, amount_micros, description
           FROM usage_events WHERE hour_ms = ? AND seq > ? ORDER BY seq LIMIT ?`,
        hourMs,
        afterSeq,
        limit,
      )
      .toArray();
    return rows.map((r) => ({
      seq: r.seq as number,
      eventId: r.event_id as string,
      hourMs: r.hour_ms as number,
      occurredAtMs: r.occurred_at_ms as number,
      memberId: r.member_id as string,
      type: r.type as StoredEvent['type'],
      model: r.type === 'model' ? (r.line_key as string) : null,
      inputTokens: r.input_tokens as number,
      outputTokens: r.output_tokens as number,
      byok: r.byok === 1,
      amountMicros: r.amount_micros as number,
      description: (r.description as string | null) ?? null,
    }));
  }

  /**
   * The oldest billed hour still stored (null when there are no events). Asked on every enforcement
   * (to arm the pruning alarm), so it is kept in memory: read once, moved by appends, re-read after
   * a prune.
   */
  oldestEventHourMs(): number | null {
    if (this.oldestHourMs === undefined) this.readOldestHours();
    return this.oldestHourMs!;
  }

  /** Deletes the events of every hour before `hourMs`; answers how many went. */
  pruneBefore(hourMs: number): number {
    const oldest = this.oldestEventHourMs();
    if (oldest === null || oldest >= hourMs) return 0;
    const pruned = this.sql.exec('DELETE FROM usage_events WHERE hour_ms < ?', hourMs).rowsWritten;
    if (pruned > 0) this.oldestHourMs = undefined;
    return pruned;
  }

  eventCount(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM usage_events').one().n;
  }

  /** Bytes of the object's SQLite database (events, rollups and the rest of its storage). */
  get sizeBytes(): number {
    return this.sql.databaseSize;
  }

  private oldestRollupHour(): number | null {
    if (this.oldestRollupHourMs === undefined) this.readOldestHours();
    return this.oldestRollupHourMs!;
  }

  /** Both oldest hours in one statement (the first a rebuilt object makes of its store). */
  private readOldestHours(): void {
    const row = this.sql.exec<{ e: number | null; r: number | null }>('SELECT (SELECT MIN(hour_ms) FROM usage_events) AS e, (SELECT MIN(hour_ms) FROM usage_rollups) AS r').one();
    this.oldestHourMs = row.e ?? null;
    this.oldestRollupHourMs = row.r ?? null;
  }

  private insertEvents(events: readonly EventTuple[]): void {
    if (events.length === 0) return;
    // One statement per group whatever its size: the rows travel as one JSON parameter.
    this.sql.exec(
      `INSERT INTO usage_events (${EVENT_COLUMNS})
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8,
              value ->> 9, value ->> 10, value ->> 11, value ->> 12
         FROM json_each(?)`,
      JSON.stringify(events),
    );
  }

  private addRollups(rollups: readonly StoredRollup[]): void {
    if (rollups.length === 0) return;
    const packed = JSON.stringify(
      rollups.map((r) => [r.hourMs, r.memberId, r.kind, r.lineKey, r.priceVersion, r.inputTokens, r.outputTokens, r.count, r.amountMicros, r.description, r.occurredAtMs]),
    );
    // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
    this.sql.exec(
      `INSERT INTO usage_rollups (hour_ms, member_id, kind, line_key, price_version, input_tokens, output_tokens, count, amount_micros, description, occurred_at_ms)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8,
              value ->> 9, value ->> 10
         FROM json_each(?) WHERE true
       ON CONFLICT (hour_ms, member_id, kind, line_key, price_version) DO UPDATE SET
         input_tokens = input_tokens + excluded.input_tokens,
         output_tokens = output_tokens + excluded.output_tokens,
         count = count + excluded.count,
         amount_micros = amount_micros + excluded.amount_micros`,
      packed,
    );
  }

  private readRollups(where: string, hourMs: number): StoredRollup[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT hour_ms, member_id, kind, line_key, price_version, input_tokens, output_tokens, count, amount_micros, description, occurred_at_ms
           FROM usage_rollups ${where}`,
        hourMs,
      )
      .toArray()
      .map(rollupFromRow);
  }
}

/** A cached oldest hour after rows of these hours were stored (still unknown if it was unknown). */
function movedBack(oldestMs: number | null | undefined, stored: readonly { hourMs: number }[]): number | null | undefined {
  if (oldestMs === undefined || stored.length === 0) return oldestMs;
  const oldestNew = stored.reduce((min, r) => Math.min(min, r.hourMs), Infinity);
  return oldestMs === null ? oldestNew : Math.min(oldestMs, oldestNew);
}

/** A rollup row as SQLite returns it (snake_case columns), in either store or in D1. */
export function rollupFromRow(r: Record<string, SqlStorageValue>): StoredRollup {
  return {
    hourMs: r.hour_ms as number,
    memberId: r.member_id as string,
    kind: r.kind as RollupRow['kind'],
    lineKey: r.line_key as string,
    priceVersion: r.price_version as number,
    inputTokens: r.input_tokens as number,
    outputTokens: r.output_tokens as number,
    count: r.count as number,
    amountMicros: r.amount_micros as number,
    description: (r.description as string | null) ?? null,
    occurredAtMs: (r.occurred_at_ms as number | null) ?? null,
  };
}
