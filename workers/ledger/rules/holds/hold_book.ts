// The workspace's holds, kept by its ledger object in its own SQLite storage: a hold is durable once
// its row is written there (the output gate holds the answer until then), survives eviction, and
// never waits on D1. Active holds are also kept in memory, with their total and each member's, so
// that every credit check, deduction and hold subtracts them without a read.
//
// Closed holds are kept, as the key index keeps entries (entry_journal.ts): a hold id answers as it
// did for ever, and its capture's key (hold_keys.ts) can never be taken by a new hold of the same id.
//
// Holds are decided in the object's group commit (hold_writes.ts), beside deductions: a group's
// writes see each other's holds through an overlay keyed by the group's view, and the book itself
// changes only once the group is durable.
import { simBroken } from '../../../lib/sim_hooks';
import { iso } from '../../../lib/time';
import { ensureLayout } from '../../state/object_layout';

export type HoldStatus = 'held' | 'captured' | 'released' | 'expired';

export interface HoldRecord {
  id: string;
  workspaceId: string;
  memberId: string | null;
  amountMicros: number;
  description: string | null;
  requestHash: string;
  status: HoldStatus;
  capturedMicros: number | null;
  transactionId: string | null;
  expiresAtMs: number;
  createdAtMs: number;
  closedAtMs: number | null;
}

/** A hold as the API shows it (the contract's `Hold`, with its description). */
export interface HoldView {
  id: string;
  workspaceId: string;
  memberId: string | null;
  amountMicros: number;
  status: HoldStatus;
  capturedMicros: number | null;
  transactionId: string | null;
  description: string | null;
  expiresAt: string;
  createdAt: string;
}

export const holdView = (h: HoldRecord): HoldView => ({
  id: h.id,
  workspaceId: h.workspaceId,
  memberId: h.memberId,
  amountMicros: h.amountMicros,
  status: h.status,
  capturedMicros: h.capturedMicros,
  transactionId: h.transactionId,
  description: h.description,
  expiresAt: iso(h.expiresAtMs),
  createdAt: iso(h.createdAtMs),
});

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS holds (
     id TEXT PRIMARY KEY,
     workspace_id TEXT NOT NULL,
     member_id TEXT,
     amount_micros INTEGER NOT NULL CHECK (amount_micros > 0),
     description TEXT,
     request_hash TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('held', 'captured', 'released', 'expired')),
     captured_micros INTEGER,
     transaction_id TEXT,
     expires_at_ms INTEGER NOT NULL,
     created_at_ms INTEGER NOT NULL,
     closed_at_ms INTEGER
   ) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS holds_active ON holds (status, expires_at_ms)`,
];
/** The marker of the layout in SCHEMA (object_layout.ts): a new name whenever SCHEMA changes. */
const HOLDS_LAYOUT = 'holds_layout_1';

const COLUMNS = `id, workspace_id AS workspaceId, member_id AS memberId, amount_micros AS amountMicros, description,
  request_hash AS requestHash, status, captured_micros AS capturedMicros, transaction_id AS transactionId,
  expires_at_ms AS expiresAtMs, created_at_ms AS createdAtMs, closed_at_ms AS closedAtMs`;

/** What the writes of one group did to holds, before the group is durable. */
interface Overlay {
  changed: Map<string, HoldRecord>;
  heldDeltaMicros: number;
  memberDeltaMicros: Map<string, number>;
}

export class HoldBook {
  private readonly active = new Map<string, HoldRecord>();
  private heldTotalMicros = 0;
  private readonly heldByMemberMicros = new Map<string, number>();
  private nextExpiryMs: number | null = null;
  private readonly overlays = new WeakMap<object, Overlay>();

  constructor(private readonly sql: SqlStorage) {
    ensureLayout(sql, HOLDS_LAYOUT, SCHEMA);
    for (const row of sql.exec<Record<string, SqlStorageValue>>(`SELECT ${COLUMNS} FROM holds WHERE status = 'held'`)) this.remember(row as unknown as HoldRecord);
  }

  // --- committed state (what is durable) ---------------------------------------------------------

  /** Credits reserved by active holds. */
  get heldMicros(): number {
    return this.heldTotalMicros;
  }

  memberHeldMicros(memberId: string): number {
    return this.heldByMemberMicros.get(memberId) ?? 0;
  }

  /** The active holds, oldest first. */
  activeHolds(): HoldRecord[] {
    return [...this.active.values()].sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1));
  }

  /** When the earliest active hold expires (null: none): the object's alarm wakes up then. */
  get earliestExpiryMs(): number | null {
    return this.nextExpiryMs;
  }

  get(id: string): HoldRecord | null {
    const held = this.active.get(id);
    if (held) return held;
    const row = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT ${COLUMNS} FROM holds WHERE id = ?`, id).toArray()[0];
    return row ? (row as unknown as HoldRecord) : null;
  }

  /** A new hold, durable in the object's storage. */
  insert(h: HoldRecord): void {
    this.sql.exec(INSERT_HOLD_SQL, ...holdRowValues(h));
    if (h.status === 'held') this.remember(h);
  }

  /** Closes a hold (captured, released or expired), durable in the object's storage. */
  close(h: HoldRecord): void {
    this.sql.exec(
      'UPDATE holds SET status = ?, captured_micros = ?, transaction_id = ?, closed_at_ms = ? WHERE id = ?',
      h.status,
      h.capturedMicros,
      h.transactionId,
      h.closedAtMs,
      h.id,
    );
    // (The simulator's broken rule keeps a released hold reserved in memory: test-only, SIM_HOOKS.)
    if (!(h.status === 'released' && simBroken('release_keeps_held'))) this.forget(h.id);
  }

  /**
   * Writes a hold as it now stands, new or not (a region's escrow lease, one row per region, that
   * grows, shrinks, closes at 0 and opens again: workers/regions/lease_change_write.ts).
   */
  put(h: HoldRecord): void {
    this.sql.exec(
      `${INSERT_HOLD_SQL}
       ON CONFLICT (id) DO UPDATE SET amount_micros = excluded.amount_micros, status = excluded.status, expires_at_ms = excluded.expires_at_ms, closed_at_ms = excluded.closed_at_ms`,
      ...holdRowValues(h),
    );
    this.forget(h.id);
    if (h.status === 'held') this.remember(h);
  }

  /**
   * Expires every active hold whose time has come (one statement), and answers them. Cheap when
   * none is due: a comparison with the earliest expiry.
   */
  expireDue(nowMs: number): HoldRecord[] {
    if (this.nextExpiryMs === null || nowMs < this.nextExpiryMs) return [];
    const due = [...this.active.values()].filter((h) => h.expiresAtMs <= nowMs);
    this.sql.exec(
      `UPDATE holds SET status = 'expired', closed_at_ms = ? WHERE status = 'held' AND id IN (SELECT value FROM json_each(?))`,
      nowMs,
      JSON.stringify(due.map((h) => h.id)),
    );
    for (const h of due) this.forget(h.id);
    return due.map((h) => ({ ...h, status: 'expired' as const, closedAtMs: nowMs }));
  }

  // --- a group's view: its writes see each other before the group is durable ---------------------

  private overlay(view: object): Overlay {
    let o = this.overlays.get(view);
    if (!o) this.overlays.set(view, (o = { changed: new Map(), heldDeltaMicros: 0, memberDeltaMicros: new Map() }));
    return o;
  }

  /** The hold as the group sees it so far. */
  getIn(view: object, id: string): HoldRecord | null {
    return this.overlays.get(view)?.changed.get(id) ?? this.get(id);
  }

  heldIn(view: object): number {
    return this.heldTotalMicros + (this.overlays.get(view)?.heldDeltaMicros ?? 0);
  }

  memberHeldIn(view: object, memberId: string): number {
    return this.memberHeldMicros(memberId) + (this.overlays.get(view)?.memberDeltaMicros.get(memberId) ?? 0);
  }

  /** A hold made or closed by a write of the group (`before`: how it stood, null for a new one). */
  changeIn(view: object, before: HoldRecord | null, after: HoldRecord): void {
    const o = this.overlay(view);
    o.changed.set(after.id, after);
    const delta = (after.status === 'held' ? after.amountMicros : 0) - (before?.status === 'held' ? before.amountMicros : 0);
    o.heldDeltaMicros += delta;
    if (after.memberId) o.memberDeltaMicros.set(after.memberId, (o.memberDeltaMicros.get(after.memberId) ?? 0) + delta);
  }

  // --- memory ------------------------------------------------------------------------------------

  private remember(h: HoldRecord) {
    this.active.set(h.id, h);
    this.heldTotalMicros += h.amountMicros;
    if (h.memberId) this.heldByMemberMicros.set(h.memberId, this.memberHeldMicros(h.memberId) + h.amountMicros);
    if (this.nextExpiryMs === null || h.expiresAtMs < this.nextExpiryMs) this.nextExpiryMs = h.expiresAtMs;
  }

  private forget(id: string) {
    const h = this.active.get(id);
    if (!h) return;
    this.active.delete(id);
    this.heldTotalMicros -= h.amountMicros;
    if (h.memberId) {
      const left = this.memberHeldMicros(h.memberId) - h.amountMicros;
      if (left === 0) this.heldByMemberMicros.delete(h.memberId);
      else this.heldByMemberMicros.set(h.memberId, left);
    }
    if (h.expiresAtMs === this.nextExpiryMs) {
      let next: number | null = null;
      for (const other of this.active.values()) if (next === null || other.expiresAtMs < next) next = other.expiresAtMs;
      this.nextExpiryMs = next;
    }
  }
}

const INSERT_HOLD_SQL = `INSERT INTO holds (id, workspace_id, member_id, amount_micros, description, request_hash, status, captured_micros, transaction_id, expires_at_ms, created_at_ms, closed_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** A hold's row, in INSERT_HOLD_SQL's column order. */
const holdRowValues = (h: HoldRecord): SqlStorageValue[] => [
  h.id,
  h.workspaceId,
  h.memberId,
  h.amountMicros,
  h.description,
  h.requestHash,
  h.status,
  h.capturedMicros,
  h.transactionId,
  h.expiresAtMs,
  h.createdAtMs,
  h.closedAtMs,
];
