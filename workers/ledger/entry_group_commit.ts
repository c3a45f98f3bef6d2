// Ledger entries (deductions, adjustments, refunds), committed in groups: the entries that arrive
// while a commit is in flight wait, and are decided in order and written together in the next
// queue turn, in one D1 batch. A far D1 costs one round trip per group instead of one per entry.
import { and, eq, inArray } from 'drizzle-orm';
import { stripeEvents, transactions } from '../../schema/tables';
import { isBalanceGuardMiss, isDuplicateIdempotencyKey } from '../lib/d1_errors';
import { insertOutbox, outboxEvent, type OutboxEvent } from '../notifications/outbox';
import { sendNotifications } from './send_notifications';
import { canonicalJson, sha256Hex } from '../lib/crypto';
import { newId } from '../lib/ids';
import { decideGroup, type EntryDecision, type GroupEntry, type GroupPlan } from './entry_decisions';
import { replay } from './entry_replay';
import { moveBalance } from './guarded_balance';
import { notFound, refreshPrices, type LedgerContext } from './ledger_context';
import type { LedgerResult } from './ledger_result';
import type { PostEntryInput } from './ledger_types';
import { LedgerInvariantError, type LedgerState } from './load_state';
import type { SerialQueue } from './serial_queue';
import { toTransactionView, type TransactionRow, type TransactionView } from './transaction_view';

interface EntryWaiter {
  input: PostEntryInput;
  resolve: (result: LedgerResult<TransactionView>) => void;
  reject: (error: unknown) => void;
}

type EntryAnswer = LedgerResult<TransactionView>;

/** At most this many entries per batch (D1 binds at most 100 parameters per statement: the id lookup). */
const MAX_GROUP_ENTRIES = 50;
/** Deductions come fast: prices checked within the last second are current enough to decide on. */
const PRICE_CHECK_MS = 1_000;

export class EntryGroupCommit {
  private waiters: EntryWaiter[] = [];
  private scheduled = false;

  /** `afterCommit` runs once per group that wrote, in its queue turn, before the answers (zero-balance enforcement). */
  constructor(
    private readonly ledger: LedgerContext,
    private readonly queue: SerialQueue,
    private readonly afterCommit: (workspaceId: string) => Promise<unknown>,
  ) {}

  /** WorkspaceLedger.postEntry: answered once the group holding this entry is durable in D1. */
  post(input: PostEntryInput): Promise<EntryAnswer> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.queue.run(async () => {
      this.scheduled = false;
      const group = this.waiters.splice(0, MAX_GROUP_ENTRIES);
      if (this.waiters.length > 0) this.schedule();
      await this.runGroup(group);
    });
  }

  private async runGroup(group: EntryWaiter[]): Promise<void> {
    let answers: EntryAnswer[];
    let wrote: boolean;
    try {
      ({ answers, wrote } = await this.commitGroup(group));
    } catch (error) {
      // Nothing of the group is written (one batch); the cache may not match D1 any more.
      this.ledger.dropState();
      for (const w of group) w.reject(error);
      return;
    }
    // Committed: the answers stand whatever enforcement does (it handles its own failures).
    if (wrote) await this.afterCommit(group[0]!.input.workspaceId).catch(() => undefined);
    group.forEach((w, i) => w.resolve(answers[i]!));
  }

  private async commitGroup(group: EntryWaiter[]): Promise<{ answers: EntryAnswer[]; wrote: boolean }> {
    const workspaceId = group[0]!.input.workspaceId;
    if (group.some((w) => w.input.workspaceId !== workspaceId)) throw new LedgerInvariantError('ledger object addressed with another workspace id');
    const entries: GroupEntry[] = await Promise.all(
      group.map(async ({ input }) => ({
        input,
        requestHash: await sha256Hex(
          canonicalJson({ kind: input.kind, amountMicros: input.amountMicros, description: input.description, memberId: input.memberId ?? null }),
        ),
      })),
    );
    // Ids found in D1 after a batch failed on one of them: those entries are replays.
    const stored = new Map<string, TransactionRow>();
    let retriedStale = false;
    let retriedDuplicate = false;
    for (;;) {
      const state = await this.ledger.load(workspaceId);
      if (!state) return { answers: group.map(() => notFound), wrote: false };
      // Mutations decide on current prices (the spendable balance depends on them).
      if (Date.now() - state.pricesCheckedAtMs > PRICE_CHECK_MS) await refreshPrices(this.ledger.env, state);
      const nowMs = Date.now();
      const plan = decideGroup(state, entries, stored, nowMs);
      try {
        return { answers: await this.write(state, entries, plan, nowMs), wrote: plan.decisions.some((d) => d.kind === 'write') };
      } catch (error) {
        if (!retriedDuplicate && isDuplicateIdempotencyKey(error)) {
          // New entries take no read before the write: a replay shows up as the unique index
          // failing the batch (nothing written). Read the group's ids and decide again.
          retriedDuplicate = true;
          for (const row of await this.findKeys(workspaceId, entries.map((e) => e.input.id))) stored.set(row.idempotencyKey, row);
          continue;
        }
        // Any other failure: the cache may not match D1. Rebuild it before the next decision; if
        // the guard showed the cache was stale, decide the whole group once more on the fresh balance.
        this.ledger.dropState();
        if (!retriedStale && isBalanceGuardMiss(error)) {
          retriedStale = true;
          console.error(JSON.stringify({ level: 'error', msg: 'balance cache was stale; rebuilt from D1', workspaceId }));
          continue;
        }
        throw error;
      }
    }
  }

  private findKeys(workspaceId: string, keys: string[]) {
    return this.lookupQuery(workspaceId, [...new Set(keys)]).all();
  }

  /**
   * One batch: the ids of refused entries looked up (before anything of the group is written, so
   * a refusal never sees a later entry of its own group), the balance moved by the group's total
   * under the guard, then each entry with the balance it leaves. The first entry reads that
   * balance under the guard: a stale cache makes it NULL and the CHECK aborts the whole batch.
   */
  private async write(state: LedgerState, entries: GroupEntry[], plan: GroupPlan, nowMs: number): Promise<EntryAnswer[]> {
    const db = this.ledger.db;
    const d1 = this.ledger.d1;
    const { workspaceId } = state;
    // Raw D1 statements (drizzle's batch cannot carry a raw statement with parameters); built by
    // drizzle where it can, with toSQL().
    const statements: D1PreparedStatement[] = [];
    const raw = (query: { toSQL(): { sql: string; params: unknown[] } }) => {
      const { sql: text, params } = query.toSQL();
      return d1.prepare(text).bind(...params);
    };
    const refusedKeys = [...new Set(entries.filter((_, i) => plan.decisions[i]!.kind === 'refuse').map((e) => e.input.id))];
    const lookupAt = refusedKeys.length > 0 ? statements.push(raw(this.lookupQuery(workspaceId, refusedKeys))) - 1 : -1;

    // The group's new rows, in arrival order, as they will be stored (balance_after comes from D1).
    const rows = new Map<number, TransactionRow>();
    plan.decisions.forEach((d, i) => {
      if (d.kind !== 'write') return;
      const { input, requestHash } = entries[i]!;
      rows.set(i, {
        seq: 0,
        id: newId('txn', nowMs),
        workspaceId,
        idempotencyKey: input.id,
        requestHash,
        type: input.kind === 'deduction' ? 'usage' : input.kind,
        status: 'completed',
        description: input.description,
        amountMicros: d.deltaMicros,
        forgivenMicros: d.forgivenMicros,
        balanceAfterMicros: d.balanceAfterMicros,
        invoiceUrl: null,
        memberId: input.memberId ?? null,
        createdAtMs: nowMs,
        settledAtMs: nowMs,
      });
    });
    let updateAt = -1;
    let insertAt = -1;
    const notices: OutboxEvent[] = [];
    // Stripe events that caused entries: recorded in the directory once the shard batch committed.
    const stripeEventRows: (typeof stripeEvents.$inferInsert)[] = [];
    if (rows.size > 0) {
      updateAt = statements.push(raw(moveBalance(db, state, plan.totalDeltaMicros, nowMs))) - 1;
      insertAt = statements.push(insertGroupRows(d1, workspaceId, nowMs, [...rows].map(([i, row]) => ({ row, laterMicros: laterOf(plan.decisions[i]!) })))) - 1;
      for (const [i, row] of rows) {
        const { stripeEvent: event, notify } = entries[i]!.input;
        if (event) stripeEventRows.push({ eventId: event.id, type: event.type, workspaceId, processedAtMs: nowMs });
        // A platform notification the entry causes (payment.disputed): in the outbox, same batch.
        if (notify) notices.push(outboxEvent(notify.type, { ...notify.data, transactionId: row.id, amountMicros: row.amountMicros }));
      }
      if (notices.length > 0) statements.push(raw(insertOutbox(db, workspaceId, notices, nowMs)));
    }

    const results = statements.length > 0 ? (await d1.batch<Record<string, unknown>>(statements)).map((r) => r.results) : [];

    if (rows.size > 0) {
      const balanceAfter = results[updateAt]?.[0]?.balance_micros;
      if (balanceAfter !== state.balanceMicros + plan.totalDeltaMicros) throw new LedgerInvariantError('ledger batch moved the balance by an unexpected amount');
      const stored = new Map((results[insertAt] as unknown as InsertedRow[]).map((r) => [r.id, r]));
      for (const row of rows.values()) {
        const inserted = stored.get(row.id);
        // The guard read these back from D1: they must be what was decided.
        if (!inserted || inserted.balance_after_micros !== row.balanceAfterMicros) throw new LedgerInvariantError('ledger batch wrote an unexpected entry');
        row.seq = inserted.seq;
      }
      state.balanceMicros = balanceAfter;
      state.updatedAtMs = nowMs;
      if (notices.length > 0) await sendNotifications(this.ledger.env, notices);
      if (stripeEventRows.length > 0) await recordStripeEvents(this.ledger, stripeEventRows);
    }
    const earlier = new Map((lookupAt >= 0 ? results[lookupAt]! : []).map(rowFromD1).map((r) => [r.idempotencyKey, r]));
    return plan.decisions.map((d, i) => answerOf(d, i, entries[i]!, rows, earlier));
  }

  private lookupQuery(workspaceId: string, keys: string[]) {
    return this.ledger.db
      .select()
      .from(transactions)
      .where(and(eq(transactions.workspaceId, workspaceId), inArray(transactions.idempotencyKey, keys)));
  }
}

/**
 * Marks Stripe events processed in the directory, after their entries committed in the shard (two
 * databases, no common batch). The entries are idempotent by their keys, so if this write is lost
 * the event is applied again by its redelivery or by reconciliation, as a no-op, and recorded then;
 * the entries' answers stand either way.
 */
async function recordStripeEvents(ledger: LedgerContext, rows: (typeof stripeEvents.$inferInsert)[]) {
  try {
    await ledger.directory.insert(stripeEvents).values(rows).onConflictDoNothing();
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'could not record processed Stripe events; they will be applied again as no-ops', error: String(error) }));
  }
}

interface InsertedRow {
  seq: number;
  id: string;
  balance_after_micros: number | null;
}

const laterOf = (d: EntryDecision) => (d.kind === 'write' ? d.laterMicros : 0);

/**
 * The group's entries in one statement, in arrival order (so seq follows it). Each reads the balance
 * it leaves from D1 (the moved balance less what later entries of the group move), and only if the
 * guarded balance update just before changed exactly one row: changes() still reports that update
 * while this statement runs. A stale guard makes every balance_after NULL, and the completed-entry
 * CHECK aborts the whole batch.
 */
function insertGroupRows(d1: D1Database, workspaceId: string, nowMs: number, rows: { row: TransactionRow; laterMicros: number }[]) {
  const packed = JSON.stringify(
    rows.map(({ row, laterMicros }) => [row.id, row.idempotencyKey, row.requestHash, row.type, row.description, row.amountMicros, row.forgivenMicros, laterMicros, row.memberId]),
  );
  return d1
    .prepare(
      `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros,
                                 forgiven_micros, balance_after_micros, member_id, created_at_ms, settled_at_ms)
       SELECT e.value ->> 0, ?1, e.value ->> 1, e.value ->> 2, e.value ->> 3, 'completed', e.value ->> 4, e.value ->> 5,
              e.value ->> 6,
              (SELECT b.balance_micros - (e.value ->> 7) FROM balances b WHERE b.workspace_id = ?1 AND changes() = 1),
              e.value ->> 8, ?2, ?2
         FROM json_each(?3) AS e
        ORDER BY e.key
       RETURNING seq, id, balance_after_micros`,
    )
    .bind(workspaceId, nowMs, packed);
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

/** Each entry's own outcome: written, a replay of what its id recorded before, or its refusal. */
function answerOf(d: EntryDecision, index: number, entry: GroupEntry, written: Map<number, TransactionRow>, earlier: Map<string, TransactionRow>): EntryAnswer {
  switch (d.kind) {
    case 'write':
      return { ok: true, replayed: false, value: toTransactionView(written.get(index)!) };
    case 'same_as':
      return replay(written.get(d.index)!, entry.requestHash);
    case 'stored':
      return replay(d.row, entry.requestHash);
    case 'refuse': {
      // A refused entry whose id succeeded earlier (a retry) still answers as it did then.
      const row = earlier.get(entry.input.id);
      return row ? replay(row, entry.requestHash) : d.failure;
    }
  }
}
