// The one D1 batch of a group commit: each write of the group appends its statements in arrival
// order; the batch checks, once D1 answers, that every guarded balance move and every entry left
// exactly the balance that was decided.
import { and, eq, inArray } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { stripeEvents, transactions } from '../../../schema/tables';
import { insertOutbox, type OutboxEvent } from '../../notifications/outbox';
import { balanceAfterGuardSql, moveBalance } from './guarded_balance';
import { isCallerKey } from '../caller_keys';
import type { LedgerContext } from '../state/ledger_context';
import { LedgerInvariantError, type LedgerState } from '../state/ledger_state';
import type { TransactionRow } from '../transaction_view';
import type { CreditBlock, FundingLine } from '../rules/blocks/credit_block';
import { insertBlocks, insertFunding, type EntryFunding } from '../rules/blocks/block_statements';

/** A drizzle query, or anything else that can say which SQL it runs with which parameters. */
interface ToSql {
  toSQL(): { sql: string; params: unknown[] };
}

/** A statement as plain data: what a journaled group keeps in the object's SQLite until D1 holds it. */
export interface PlainStatement {
  sql: string;
  params: unknown[];
}

/** Where a write's statement sits in the batch, to find its results once D1 answered. */
export interface Slot {
  readonly at: number;
}

/** The batch as D1 answered it: durable, and checked. */
export interface Committed {
  /** The rows a statement returned. */
  rows(slot: Slot): Record<string, unknown>[];
  /** A refused write's idempotency key as D1 held it before anything of the group was written. */
  earlier(key: string): TransactionRow | undefined;
}

export class GroupBatch {
  /** Kept as plain SQL and parameters until sent: a journaled group stores them (entry_journal.ts). */
  private readonly statements: (PlainStatement | D1PreparedStatement)[] = [];
  /** Statements after the rest (the outbox rows of the group's notifications). */
  private readonly trailer: D1PreparedStatement[] = [];
  /** Directory rows the shard batch depends on (a checkout session's mapping): written before it. */
  private readonly directoryFirst: ToSql[] = [];
  /** Stripe events that caused the group's writes: marked processed in the directory after it. */
  private readonly stripeEventRows: (typeof stripeEvents.$inferInsert)[] = [];
  private readonly refusedKeys = new Set<string>();
  /** Consecutive completed entries not yet appended: one balance move and one INSERT for all. */
  private pendingEntries: { row: TransactionRow; deltaMicros: number }[] = [];
  /** New credit blocks and entries' funding not yet appended: one statement each for a run of them, after its entries. */
  private pendingBlocks: CreditBlock[] = [];
  private pendingFunding: EntryFunding[] = [];
  /** D1's balance after the statements so far, if the guard holds. */
  private expectedMicros: number;
  private readonly moves: { at: number; afterMicros: number }[] = [];
  private readonly inserts: { at: number; rows: TransactionRow[] }[] = [];
  private readonly notices: OutboxEvent[] = [];
  private readonly d1: D1Database;
  /** The object's drizzle handle, taken once for the whole batch. */
  readonly db: DrizzleD1Database;
  /** True once a write of the group changes something (a replay's event record alone does not count). */
  wrote = false;

  constructor(
    private readonly ledger: LedgerContext,
    private readonly state: LedgerState,
    readonly nowMs: number,
    /** The balance D1 holds when this batch runs, if the guard holds (behind a batch in flight: the balance that one leaves). */
    startMicros = state.balanceMicros,
  ) {
    this.expectedMicros = startMicros;
    this.db = ledger.db;
    // Raw D1 statements (drizzle's batch cannot carry a raw statement with parameters), on the
    // D1 handle the object's drizzle instance wraps (drizzle() sets $client; its type drops it).
    this.d1 = (this.db as DrizzleD1Database & { $client: D1Database }).$client;
  }

  /** The directory's drizzle handle, made only by the groups that write there (most never do). */
  private get directory(): DrizzleD1Database {
    return this.ledger.directory;
  }

  get workspaceId(): string {
    return this.state.workspaceId;
  }

  /** A completed entry that moves the balance by `deltaMicros`, recording `row.balanceAfterMicros`. */
  entry(row: TransactionRow, deltaMicros: number): void {
    this.pendingEntries.push({ row, deltaMicros });
    this.wrote = true;
  }

  /** A new credit block (written after the entry that brings it in). */
  creditBlock(block: CreditBlock): void {
    this.pendingBlocks.push(block);
    this.wrote = true;
  }

  /** Which blocks paid for an entry of this batch (written after it, and after any block of the batch). */
  funding(transactionId: string, lines: readonly FundingLine[]): void {
    if (lines.length === 0) return;
    this.pendingFunding.push({ transactionId, lines });
    this.wrote = true;
  }

  /** A statement, in arrival order. */
  add(query: ToSql | D1PreparedStatement): Slot {
    this.flushEntries();
    this.flushBlocks();
    this.wrote = true;
    return { at: this.statements.push(this.plain(query)) - 1 };
  }

  /**
   * The balance moved by `deltaMicros` under the guard, and right after it the statement that reads
   * the balance it leaves (balanceAfterGuard): a stale guard makes that NULL and aborts the batch.
   */
  moveBalanceThen(deltaMicros: number, query: ToSql): Slot {
    this.flushEntries();
    this.flushBlocks();
    this.pushMove(deltaMicros);
    this.wrote = true;
    return { at: this.statements.push(this.plain(query)) - 1 };
  }

  /**
   * A directory row this batch's rows point to (the checkout session that pays a deposit, found by
   * the webhook through it): written, idempotently, before the shard batch, so that no shard row
   * exists whose directory row is missing. A directory row without its shard rows (the batch
   * failed) finds nothing to act on, and a retry under the same key writes them.
   */
  beforeInDirectory(query: ToSql): void {
    this.directoryFirst.push(query);
  }

  /**
   * The Stripe event that caused a write, marked processed in the directory once the shard batch
   * committed (two databases, no common batch). Every Stripe-caused write is idempotent by its key,
   * so if this record is lost the event is applied again by its redelivery or by reconciliation, as
   * a no-op, and recorded then. Recorded even when the write itself was a replay.
   */
  recordStripeEvent(event: { id: string; type: string }): void {
    this.stripeEventRows.push({ eventId: event.id, type: event.type, workspaceId: this.workspaceId, processedAtMs: this.nowMs });
  }

  /** A platform notification, put in the outbox in this batch and enqueued once it is durable. */
  notify(event: OutboxEvent): void {
    this.notices.push(event);
  }

  get notifications(): readonly OutboxEvent[] {
    return this.notices;
  }

  /** True when the batch moves the balance (and so sets the balances row's updated_at_ms). */
  get movesBalance(): boolean {
    return this.moves.length > 0 || this.pendingEntries.length > 0;
  }

  /** A refusal's key, looked up before anything of the group is written: a retry answers as it did then. */
  lookUpIfRefused(key: string): void {
    this.refusedKeys.add(key);
  }

  /** Runs the batch (one D1 round trip) and checks what it wrote. Throws when D1 refused it: nothing is written. */
  async commit(): Promise<Committed> {
    this.flushEntries();
    this.flushBlocks();
    if (this.notices.length > 0) this.trailer.push(this.prepared(insertOutbox(this.db, this.workspaceId, this.notices, this.nowMs)));
    const lookup = this.refusedKeys.size > 0 ? [this.prepared(lookupKeys(this.db, this.workspaceId, [...this.refusedKeys]))] : [];
    const all = [...lookup, ...this.statements.map((s) => this.prepared(s)), ...this.trailer];
    if (this.directoryFirst.length > 0) await this.directory.batch(this.directoryFirst as unknown as Parameters<DrizzleD1Database['batch']>[0]);
    const results = all.length > 0 ? (await this.d1.batch<Record<string, unknown>>(all)).map((r) => r.results) : [];
    const offset = lookup.length;
    const rows = (slot: Slot) => results[offset + slot.at] ?? [];

    for (const move of this.moves) {
      if (rows(move).at(0)?.balance_micros !== move.afterMicros) throw new LedgerInvariantError('ledger batch moved the balance by an unexpected amount');
    }
    for (const insert of this.inserts) {
      const stored = new Map((rows(insert) as unknown as InsertedRow[]).map((r) => [r.id, r]));
      for (const row of insert.rows) {
        const inserted = stored.get(row.id);
        // The guard read these back from D1: they must be what was decided.
        if (!inserted || inserted.balance_after_micros !== row.balanceAfterMicros) throw new LedgerInvariantError('ledger batch wrote an unexpected entry');
        row.seq = inserted.seq;
      }
    }
    // Entries under callers' keys written here (a refund sent under one, say): the key index must
    // know them, or a journaled entry could take the key again.
    const callerRows = this.entryRows.filter((row) => isCallerKey(row.idempotencyKey));
    if (callerRows.length > 0) this.ledger.rememberKeys(callerRows);
    const earlier = new Map((offset > 0 ? results[0]! : []).map(rowFromD1).map((r) => [r.idempotencyKey, r]));
    await this.recordStripeEvents();
    return { rows, earlier: (key) => earlier.get(key) };
  }

  /**
   * The group's shard statements as plain data, for the journal instead of a D1 batch: only a group
   * that touches nothing but the shard's balance and entries (no directory row, Stripe event,
   * notification or refusal to look up in D1) can be journaled. Its balance guards chain from the
   * balance D1 holds once every earlier journaled group is projected.
   */
  journalStatements(): PlainStatement[] {
    this.flushEntries();
    this.flushBlocks();
    if (this.directoryFirst.length > 0 || this.stripeEventRows.length > 0 || this.notices.length > 0 || this.refusedKeys.size > 0) {
      throw new LedgerInvariantError('a group that reaches beyond the shard cannot be journaled');
    }
    return this.statements.map((s) => {
      if (!('sql' in s) || 'bind' in s) throw new LedgerInvariantError('a journaled statement must be plain SQL');
      return s;
    });
  }

  /** The completed entries the batch writes, in order (once its statements are built). */
  get entryRows(): TransactionRow[] {
    return this.inserts.flatMap((i) => i.rows);
  }

  private async recordStripeEvents() {
    if (this.stripeEventRows.length === 0) return;
    try {
      await this.directory.insert(stripeEvents).values(this.stripeEventRows).onConflictDoNothing();
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'could not record processed Stripe events; they will be applied again as no-ops', error: String(error) }));
    }
  }

  private flushEntries() {
    const entries = this.pendingEntries;
    if (entries.length === 0) return;
    this.pendingEntries = [];
    const startMicros = this.expectedMicros;
    const totalMicros = entries.reduce((sum, e) => sum + e.deltaMicros, 0);
    let runningMicros = startMicros;
    const packed = entries.map(({ row, deltaMicros }) => {
      runningMicros += deltaMicros;
      if (row.balanceAfterMicros !== runningMicros) throw new LedgerInvariantError('group entry decided on another balance than its batch');
      return { row, laterMicros: startMicros + totalMicros - runningMicros };
    });
    this.pushMove(totalMicros);
    this.inserts.push({ at: this.statements.push(insertEntryRows(this.workspaceId, this.nowMs, packed)) - 1, rows: entries.map((e) => e.row) });
    // Their blocks and funding right behind them (never between a guarded move and its read-back).
    this.flushBlocks();
  }

  /** New blocks first, then funding (which may draw on them): one statement each. */
  private flushBlocks() {
    if (this.pendingBlocks.length > 0) this.statements.push(insertBlocks(this.workspaceId, this.pendingBlocks));
    if (this.pendingFunding.length > 0) this.statements.push(...insertFunding(this.workspaceId, this.pendingFunding));
    this.pendingBlocks = [];
    this.pendingFunding = [];
  }

  private pushMove(deltaMicros: number) {
    const guard = { workspaceId: this.workspaceId, balanceMicros: this.expectedMicros, open: { settledThroughMs: this.state.open.settledThroughMs } };
    this.expectedMicros += deltaMicros;
    this.moves.push({ at: this.statements.push(moveBalance(guard, deltaMicros, this.nowMs)) - 1, afterMicros: this.expectedMicros });
  }

  private plain(query: ToSql | D1PreparedStatement): PlainStatement | D1PreparedStatement {
    if (!('toSQL' in query)) return query;
    const { sql: text, params } = query.toSQL();
    return { sql: text, params };
  }

  private prepared(query: ToSql | PlainStatement | D1PreparedStatement): D1PreparedStatement {
    if ('toSQL' in query) return this.prepared(this.plain(query));
    if ('bind' in query) return query;
    return this.d1.prepare(query.sql).bind(...query.params);
  }
}

/** The workspace's ledger entries with these idempotency keys (at most 50: D1 binds 100 parameters). */
export function lookupKeys(db: DrizzleD1Database, workspaceId: string, keys: string[]) {
  return db
    .select()
    .from(transactions)
    .where(and(eq(transactions.workspaceId, workspaceId), inArray(transactions.idempotencyKey, keys)));
}

interface InsertedRow {
  seq: number;
  id: string;
  balance_after_micros: number | null;
}

/**
 * Consecutive completed entries in one statement, in arrival order (so seq follows it). Each reads
 * the balance it leaves from D1 (the moved balance less what later entries of the segment move),
 * and only if the guarded balance update just before changed exactly one row: changes() still
 * reports that update while this statement runs. A stale guard makes every balance_after NULL,
 * and the completed-entry CHECK aborts the whole batch.
 */
export function insertEntryRows(workspaceId: string, nowMs: number, rows: { row: TransactionRow; laterMicros: number }[]): PlainStatement {
  const packed = JSON.stringify(
    rows.map(({ row, laterMicros }) => [row.id, row.idempotencyKey, row.requestHash, row.type, row.description, row.amountMicros, row.forgivenMicros, laterMicros, row.memberId]),
  );
  return {
    sql: `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros,
                                 forgiven_micros, balance_after_micros, member_id, created_at_ms, settled_at_ms)
       SELECT e.value ->> 0, ?1, e.value ->> 1, e.value ->> 2, e.value ->> 3, 'completed', e.value ->> 4, e.value ->> 5,
              e.value ->> 6,
              ${balanceAfterGuardSql('?1')} - (e.value ->> 7),
              e.value ->> 8, ?2, ?2
         FROM json_each(?3) AS e
        ORDER BY e.key
       RETURNING seq, id, balance_after_micros`,
    params: [workspaceId, nowMs, packed],
  };
}

/** A transactions row as D1 returns it (column names) in the shape drizzle gives it. */
function rowFromD1(r: Record<string, unknown>): TransactionRow {
  return {
    seq: r.seq as number,
    id: r.id as string,
    workspaceId: r.workspace_id as string,
    idempotencyKey: r.idempotency_key as string,
    requestHash: r.request_hash as string,
    type: r.type as TransactionRow['type'],
    status: r.status as TransactionRow['status'],
    description: r.description as string,
    amountMicros: r.amount_micros as number,
    forgivenMicros: r.forgiven_micros as number,
    balanceAfterMicros: r.balance_after_micros as number | null,
    invoiceUrl: r.invoice_url as string | null,
    memberId: r.member_id as string | null,
    createdAtMs: r.created_at_ms as number,
    settledAtMs: r.settled_at_ms as number | null,
  };
}
