// A regional object's own SQLite: its lease (as home last answered it, less what it is giving
// back), the spends it decided (each under the key home records it by; `reported` once home
// answered the exchange that carried it), and its holds. Every decision is written here before it
// is answered (the output gate holds the answer until the write is durable), so an evicted or
// restarted object loses nothing and decides nothing twice: the sums below are rebuilt from it.
import { ensureLayout } from '../ledger/state/object_layout';
import { simBroken } from '../lib/sim_hooks';
import type { LeaseExchange } from './lease_protocol';
import type { Region } from './regions';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS lease (
     k INTEGER PRIMARY KEY CHECK (k = 1),
     workspace_id TEXT NOT NULL, region TEXT NOT NULL, home_region TEXT NOT NULL,
     lease_micros INTEGER NOT NULL, other_micros INTEGER NOT NULL, term_ends_ms INTEGER NOT NULL,
     seq INTEGER NOT NULL, limited TEXT NOT NULL, pending TEXT)`,
  `CREATE TABLE IF NOT EXISTS spends (
     key TEXT PRIMARY KEY, kind TEXT NOT NULL, transaction_id TEXT, amount_micros INTEGER NOT NULL,
     charged_micros INTEGER NOT NULL, description TEXT NOT NULL, member_id TEXT, request TEXT NOT NULL,
     answer TEXT NOT NULL, created_at_ms INTEGER NOT NULL, reported INTEGER NOT NULL, forwarded INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS spends_unreported ON spends (reported) WHERE reported = 0`,
  `CREATE TABLE IF NOT EXISTS holds (
     id TEXT PRIMARY KEY, member_id TEXT, amount_micros INTEGER NOT NULL, description TEXT, request TEXT NOT NULL,
     status TEXT NOT NULL, captured_micros INTEGER, transaction_id TEXT, expires_at_ms INTEGER NOT NULL,
     created_at_ms INTEGER NOT NULL, closed_at_ms INTEGER, at_home INTEGER NOT NULL) WITHOUT ROWID`,
];
const LAYOUT = 'regional_layout_1';

export interface LeaseRow {
  workspaceId: string;
  region: Region;
  homeRegion: Region;
  leaseMicros: number;
  otherMicros: number;
  termEndsMs: number;
  seq: number;
  limited: string[];
  pending: LeaseExchange | null;
}

export interface SpendRow {
  key: string;
  kind: 'deduction' | 'capture';
  transactionId: string | null;
  amountMicros: number;
  chargedMicros: number;
  description: string;
  memberId: string | null;
  request: string;
  answer: string;
  createdAtMs: number;
  reported: number;
  forwarded: number;
}

export interface RegionalHold {
  id: string;
  memberId: string | null;
  amountMicros: number;
  description: string | null;
  request: string;
  status: 'held' | 'captured' | 'released' | 'expired';
  capturedMicros: number | null;
  transactionId: string | null;
  expiresAtMs: number;
  createdAtMs: number;
  closedAtMs: number | null;
  atHome: number;
}

export class RegionalStore {
  lease: LeaseRow | null = null;
  /** What decided spends not yet answered by home took from the lease. */
  unreportedMicros = 0;
  /** Local holds still held (their credits are inside the lease). */
  readonly active = new Map<string, RegionalHold>();
  heldMicros = 0;

  constructor(private readonly sql: SqlStorage) {
    ensureLayout(sql, LAYOUT, SCHEMA);
    const row = sql.exec<Record<string, SqlStorageValue>>('SELECT * FROM lease WHERE k = 1').toArray()[0];
    if (row) {
      this.lease = {
        workspaceId: row.workspace_id as string,
        region: row.region as Region,
        homeRegion: row.home_region as Region,
        leaseMicros: row.lease_micros as number,
        otherMicros: row.other_micros as number,
        termEndsMs: row.term_ends_ms as number,
        seq: row.seq as number,
        limited: JSON.parse(row.limited as string) as string[],
        pending: row.pending ? (JSON.parse(row.pending as string) as LeaseExchange) : null,
      };
    }
    this.unreportedMicros = (sql.exec<{ s: number | null }>('SELECT SUM(charged_micros) AS s FROM spends WHERE reported = 0').one().s ?? 0);
    for (const h of sql.exec<Record<string, SqlStorageValue>>(`SELECT ${HOLD_COLUMNS} FROM holds WHERE status = 'held' AND at_home = 0`)) {
      this.remember(h as unknown as RegionalHold);
    }
  }

  /** The lease row, created on the first call (no lease yet). */
  ensureLease(workspaceId: string, region: Region, homeRegion: Region): LeaseRow {
    if (this.lease) return this.lease;
    this.lease = { workspaceId, region, homeRegion, leaseMicros: 0, otherMicros: 0, termEndsMs: 0, seq: 0, limited: [], pending: null };
    this.saveLease();
    return this.lease;
  }

  saveLease(): void {
    const l = this.lease!;
    this.sql.exec(
      'INSERT OR REPLACE INTO lease (k, workspace_id, region, home_region, lease_micros, other_micros, term_ends_ms, seq, limited, pending) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      l.workspaceId,
      l.region,
      l.homeRegion,
      l.leaseMicros,
      l.otherMicros,
      l.termEndsMs,
      l.seq,
      JSON.stringify(l.limited),
      l.pending ? JSON.stringify(l.pending) : null,
    );
  }

  /** What the lease leaves free now (nothing once its term is over: the alarm gives it back then). */
  freeMicros(nowMs: number): number {
    const l = this.lease;
    if (!l || nowMs >= l.termEndsMs) return 0;
    return Math.max(0, l.leaseMicros - this.heldMicros - (simBroken('region_spends_lease_twice') ? 0 : this.unreportedMicros));
  }

  /** When the first of this region's open holds expires (null: none is open). */
  earliestHoldExpiryMs(): number | null {
    let earliest: number | null = null;
    for (const h of this.active.values()) if (h.atHome === 0 && (earliest === null || h.expiresAtMs < earliest)) earliest = h.expiresAtMs;
    return earliest;
  }

  /** The free part whatever the term (what an exchange gives back). */
  freeAnyTermMicros(): number {
    const l = this.lease;
    return l ? Math.max(0, l.leaseMicros - this.heldMicros - this.unreportedMicros) : 0;
  }

  // --- spends ---------------------------------------------------------------------------------------

  spend(key: string): SpendRow | null {
    const row = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT ${SPEND_COLUMNS} FROM spends WHERE key = ?`, key).toArray()[0];
    return row ? (row as unknown as SpendRow) : null;
  }

  insertSpend(s: SpendRow): void {
    this.sql.exec(
      'INSERT INTO spends (key, kind, transaction_id, amount_micros, charged_micros, description, member_id, request, answer, created_at_ms, reported, forwarded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      s.key,
      s.kind,
      s.transactionId,
      s.amountMicros,
      s.chargedMicros,
      s.description,
      s.memberId,
      s.request,
      s.answer,
      s.createdAtMs,
      s.reported,
      s.forwarded,
    );
    if (s.reported === 0) this.unreportedMicros += s.chargedMicros;
  }

  saveAnswer(key: string, answer: string): void {
    this.sql.exec('UPDATE spends SET answer = ? WHERE key = ?', answer, key);
  }

  unreported(): SpendRow[] {
    return this.sql.exec<Record<string, SqlStorageValue>>(`SELECT ${SPEND_COLUMNS} FROM spends WHERE reported = 0 ORDER BY created_at_ms, key`).toArray() as unknown as SpendRow[];
  }

  markReported(keys: string[]): void {
    if (keys.length === 0) return;
    const micros = this.sql
      .exec<{ s: number | null }>('SELECT SUM(charged_micros) AS s FROM spends WHERE reported = 0 AND key IN (SELECT value FROM json_each(?))', JSON.stringify(keys))
      .one().s ?? 0;
    this.sql.exec('UPDATE spends SET reported = 1 WHERE reported = 0 AND key IN (SELECT value FROM json_each(?))', JSON.stringify(keys));
    this.unreportedMicros -= micros;
  }

  // --- holds ----------------------------------------------------------------------------------------

  hold(id: string): RegionalHold | null {
    const held = this.active.get(id);
    if (held) return held;
    const row = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT ${HOLD_COLUMNS} FROM holds WHERE id = ?`, id).toArray()[0];
    return row ? (row as unknown as RegionalHold) : null;
  }

  putHold(h: RegionalHold): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO holds (id, member_id, amount_micros, description, request, status, captured_micros, transaction_id, expires_at_ms, created_at_ms, closed_at_ms, at_home)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      h.id,
      h.memberId,
      h.amountMicros,
      h.description,
      h.request,
      h.status,
      h.capturedMicros,
      h.transactionId,
      h.expiresAtMs,
      h.createdAtMs,
      h.closedAtMs,
      h.atHome,
    );
    this.forget(h.id);
    if (h.status === 'held' && h.atHome === 0) this.remember(h);
  }

  /** Local holds whose time has come become `expired` (their credits free in the lease again). */
  expireDue(nowMs: number): void {
    for (const h of [...this.active.values()]) if (h.expiresAtMs <= nowMs) this.putHold({ ...h, status: 'expired', closedAtMs: nowMs });
  }

  private remember(h: RegionalHold) {
    this.active.set(h.id, h);
    this.heldMicros += h.amountMicros;
  }

  private forget(id: string) {
    const h = this.active.get(id);
    if (!h) return;
    this.active.delete(id);
    this.heldMicros -= h.amountMicros;
  }
}

const SPEND_COLUMNS = `key, kind, transaction_id AS transactionId, amount_micros AS amountMicros, charged_micros AS chargedMicros, description,
  member_id AS memberId, request, answer, created_at_ms AS createdAtMs, reported, forwarded`;
const HOLD_COLUMNS = `id, member_id AS memberId, amount_micros AS amountMicros, description, request, status, captured_micros AS capturedMicros,
  transaction_id AS transactionId, expires_at_ms AS expiresAtMs, created_at_ms AS createdAtMs, closed_at_ms AS closedAtMs, at_home AS atHome`;
