// Ledger entries (deductions, adjustments, refunds), committed in groups: the entries that arrive
// while a commit is in flight wait, and are decided in order and written together in the next
// queue turn, in one D1 batch. A far D1 costs one round trip per group instead of one per entry.
import { and, eq, inArray } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { stripeEvents, transactions } from '../../schema/tables';
import { canonicalJson, sha256Hex } from '../lib/crypto';
import { newId } from '../lib/ids';
import { decideGroup, type EntryDecision, type GroupEntry, type GroupPlan } from './entry_decisions';
import { replay } from './entry_replay';
import { balanceAfterGuard, balanceAfterInGroup, moveBalance } from './guarded_balance';
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
        const message = String(error);
        if (!retriedDuplicate && message.includes('UNIQUE') && message.includes('idempotency_key')) {
          // New entries take no read before the write: a replay shows up as the unique index
          // failing the batch (nothing written). Read the group's ids and decide again.
          retriedDuplicate = true;
          for (const row of await this.findKeys(workspaceId, entries.map((e) => e.input.id))) stored.set(row.idempotencyKey, row);
          continue;
        }
        // Any other failure: the cache may not match D1. Rebuild it before the next decision; if
        // the guard showed the cache was stale, decide the whole group once more on the fresh balance.
        this.ledger.dropState();
        if (!retriedStale && message.includes('transactions_completed_has_balance_after')) {
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
    const { workspaceId } = state;
    const statements: BatchItem<'sqlite'>[] = [];
    const refusedKeys = [...new Set(entries.filter((_, i) => plan.decisions[i]!.kind === 'refuse').map((e) => e.input.id))];
    const lookupAt = refusedKeys.length > 0 ? statements.push(this.lookupQuery(workspaceId, refusedKeys)) - 1 : -1;
    const insertAt = new Map<number, number>();
    let updateAt = -1;
    plan.decisions.forEach((d, i) => {
      if (d.kind !== 'write') return;
      const input = entries[i]!.input;
      if (updateAt < 0) updateAt = statements.push(moveBalance(db, state, plan.totalDeltaMicros, nowMs)) - 1;
      const first = insertAt.size === 0;
      const at = statements.push(
        db
          .insert(transactions)
          .values({
            id: newId('txn', nowMs),
            workspaceId,
            idempotencyKey: input.id,
            requestHash: entries[i]!.requestHash,
            type: input.kind === 'deduction' ? 'usage' : input.kind,
            status: 'completed',
            description: input.description,
            amountMicros: d.deltaMicros,
            forgivenMicros: d.forgivenMicros,
            balanceAfterMicros: first ? balanceAfterGuard(workspaceId, d.laterMicros) : balanceAfterInGroup(workspaceId, d.laterMicros),
            memberId: input.memberId ?? null,
            createdAtMs: nowMs,
            settledAtMs: nowMs,
          })
          .returning(),
      );
      insertAt.set(i, at - 1);
      if (input.stripeEvent) {
        statements.push(
          db
            .insert(stripeEvents)
            .values({ eventId: input.stripeEvent.id, type: input.stripeEvent.type, workspaceId, processedAtMs: nowMs })
            .onConflictDoNothing(),
        );
      }
    });

    const results: unknown[] = statements.length > 0 ? await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]) : [];

    if (updateAt >= 0) {
      const balanceAfter = (results[updateAt] as { balanceMicros: number }[])[0]?.balanceMicros;
      if (balanceAfter !== state.balanceMicros + plan.totalDeltaMicros) throw new LedgerInvariantError('ledger batch moved the balance by an unexpected amount');
      state.balanceMicros = balanceAfter;
      state.updatedAtMs = nowMs;
    }
    const written = new Map<number, TransactionRow>();
    for (const [i, at] of insertAt) {
      const row = (results[at] as TransactionRow[])[0];
      if (!row) throw new LedgerInvariantError('ledger batch wrote nothing');
      written.set(i, row);
    }
    const earlier = new Map(((lookupAt >= 0 ? results[lookupAt] : []) as TransactionRow[]).map((r) => [r.idempotencyKey, r]));
    return plan.decisions.map((d, i) => answerOf(d, i, entries[i]!, written, earlier));
  }

  private lookupQuery(workspaceId: string, keys: string[]) {
    return this.ledger.db
      .select()
      .from(transactions)
      .where(and(eq(transactions.workspaceId, workspaceId), inArray(transactions.idempotencyKey, keys)));
  }
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
