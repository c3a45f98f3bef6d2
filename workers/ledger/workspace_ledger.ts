import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { DurableObject } from 'cloudflare:workers';
import { balances, transactions } from '../../schema/tables';
import type { Env } from '../env';
import { canonicalJson, sha256Hex } from '../lib/crypto';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import type { LedgerResult } from './ledger_result';
import { SerialQueue } from './serial_queue';
import { toTransactionView, type TransactionView } from './transaction_view';

export interface PostEntryInput {
  workspaceId: string;
  /** The caller's id for this mutation, which is also its idempotency key. */
  id: string;
  /**
   * deduction: take `amountMicros` (> 0) or nothing (402).
   * adjustment: a grant when positive; a correction when negative, applied only down to a zero
   * balance, the rest recorded as forgiven.
   */
  kind: 'deduction' | 'adjustment';
  amountMicros: number;
  description: string;
  memberId?: string | null;
}

export interface CreditSummary {
  balanceMicros: number;
  accumulatingMicros: number;
  burnRateMicrosPerHour: number;
  hoursRemaining: number | null;
  updatedAt: string;
}

interface LoadedState {
  workspaceId: string;
  balanceMicros: number;
  updatedAtMs: number;
}

class LedgerInvariantError extends Error {}

const notFound = { ok: false, code: 'not_found', message: 'No such workspace.' } as const;

// The balance an entry leaves, read back inside its batch, and only if the guarded balance update
// just before it changed exactly one row (SQLite's changes() sees the previous statement of the
// same batch). Otherwise NULL, which the completed-entry CHECK turns into an aborted batch.
const balanceAfterGuard = (workspaceId: string) =>
  sql`(SELECT ${balances.balanceMicros} FROM ${balances} WHERE ${balances.workspaceId} = ${workspaceId} AND changes() = 1)`;

/**
 * The only writer of one workspace's balance. Holds the balance in memory so that credit checks
 * need no D1 round trip, applies mutations one at a time, and makes each one a single atomic D1
 * batch (balance update + ledger entry, which carries its idempotency key). The balances CHECK
 * constraint is the SQL guard behind the in-memory check: if the two ever disagree, the batch
 * fails, nothing is written, and the cache is rebuilt from D1.
 */
export class WorkspaceLedger extends DurableObject<Env> {
  private readonly queue = new SerialQueue();
  private state: LoadedState | null = null;
  private loading: Promise<LoadedState | null> | null = null;

  private get db() {
    return drizzle(this.env.DB);
  }

  // --- reads: answered from memory once loaded --------------------------------------------------

  async creditCheck(workspaceId: string, amountMicros: number): Promise<LedgerResult<{ allowed: boolean; balanceMicros: number }>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    const balanceMicros = state.balanceMicros;
    return { ok: true, replayed: false, value: { allowed: balanceMicros > 0 && balanceMicros >= amountMicros, balanceMicros } };
  }

  async creditSummary(workspaceId: string): Promise<LedgerResult<CreditSummary>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    return {
      ok: true,
      replayed: false,
      value: {
        balanceMicros: state.balanceMicros,
        accumulatingMicros: 0,
        burnRateMicrosPerHour: 0,
        hoursRemaining: null,
        updatedAt: iso(state.updatedAtMs),
      },
    };
  }

  // --- mutations: strictly one at a time --------------------------------------------------------

  postEntry(input: PostEntryInput): Promise<LedgerResult<TransactionView>> {
    return this.queue.run(() => this.postEntryNow(input));
  }

  private async postEntryNow(input: PostEntryInput, retried = false): Promise<LedgerResult<TransactionView>> {
    const state = await this.load(input.workspaceId);
    if (!state) return notFound;

    const requestHash = await sha256Hex(
      canonicalJson({ kind: input.kind, amountMicros: input.amountMicros, description: input.description, memberId: input.memberId ?? null }),
    );

    let deltaMicros: number;
    let forgivenMicros = 0;
    if (input.kind === 'deduction') {
      if (state.balanceMicros < input.amountMicros) {
        // A replay of a deduction that succeeded earlier must still answer as it did then.
        const earlier = await this.findByKey(input.workspaceId, input.id);
        if (earlier) return this.replay(earlier, requestHash);
        return {
          ok: false,
          code: 'insufficient_credits',
          message: `The balance (${state.balanceMicros} micros) cannot cover ${input.amountMicros} micros.`,
        };
      }
      deltaMicros = -input.amountMicros;
    } else {
      // A correction never takes the balance below zero; what it cannot take is forgiven.
      deltaMicros = Math.max(input.amountMicros, -state.balanceMicros) || 0;
      forgivenMicros = deltaMicros - input.amountMicros;
    }

    const nowMs = Date.now();
    const db = this.db;
    try {
      // New entries take one round trip: no read before the write. A replay is detected by the
      // unique idempotency index failing the batch, and then answered from the stored entry.
      const [updated, inserted] = await db.batch([
        db
          .update(balances)
          .set({ balanceMicros: sql`${balances.balanceMicros} + ${deltaMicros}`, updatedAtMs: nowMs })
          .where(and(eq(balances.workspaceId, input.workspaceId), eq(balances.balanceMicros, state.balanceMicros)))
          .returning({ balanceMicros: balances.balanceMicros }),
        db
          .insert(transactions)
          .values({
            id: newId('txn', nowMs),
            workspaceId: input.workspaceId,
            idempotencyKey: input.id,
            requestHash,
            type: input.kind === 'deduction' ? 'usage' : 'adjustment',
            status: 'completed',
            description: input.description,
            amountMicros: deltaMicros,
            forgivenMicros,
            balanceAfterMicros: balanceAfterGuard(input.workspaceId),
            memberId: input.memberId ?? null,
            createdAtMs: nowMs,
            settledAtMs: nowMs,
          })
          .returning(),
      ]);
      const row = inserted[0];
      const balanceAfter = updated[0]?.balanceMicros;
      if (!row || balanceAfter === undefined) throw new LedgerInvariantError('ledger batch wrote nothing');
      state.balanceMicros = balanceAfter;
      state.updatedAtMs = nowMs;
      return { ok: true, replayed: false, value: toTransactionView(row) };
    } catch (error) {
      const message = String(error);
      if (message.includes('UNIQUE') && message.includes('idempotency_key')) {
        const earlier = await this.findByKey(input.workspaceId, input.id);
        if (earlier) return this.replay(earlier, requestHash);
      }
      // Any other failure: the cache may not match D1. Rebuild it before the next decision; if the
      // guard showed the cache was stale, decide once more on the fresh balance.
      this.state = null;
      if (!retried && message.includes('transactions_completed_has_balance_after')) {
        console.error(JSON.stringify({ level: 'error', msg: 'balance cache was stale; rebuilt from D1', workspaceId: input.workspaceId }));
        return this.postEntryNow(input, true);
      }
      if (message.includes('balances_non_negative')) {
        return { ok: false, code: 'insufficient_credits', message: 'The balance cannot cover this amount.' };
      }
      throw error;
    }
  }

  // --- internals --------------------------------------------------------------------------------

  private async findByKey(workspaceId: string, key: string) {
    return this.db
      .select()
      .from(transactions)
      .where(and(eq(transactions.workspaceId, workspaceId), eq(transactions.idempotencyKey, key)))
      .get();
  }

  private replay(row: typeof transactions.$inferSelect, requestHash: string): LedgerResult<TransactionView> {
    if (row.requestHash !== requestHash) {
      return { ok: false, code: 'idempotency_conflict', message: `The id "${row.idempotencyKey}" was already used with a different request.` };
    }
    return { ok: true, replayed: true, value: toTransactionView(row) };
  }

  private load(workspaceId: string): Promise<LoadedState | null> {
    if (this.state) {
      if (this.state.workspaceId !== workspaceId) throw new LedgerInvariantError('ledger object addressed with another workspace id');
      return Promise.resolve(this.state);
    }
    if (!this.loading) {
      this.loading = this.readFromD1(workspaceId).finally(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }

  // Rebuilds the cache after construction or eviction, checking the ledger invariant on the way:
  // the balance row must equal the sum of completed entries, or this workspace's money is frozen
  // (every call fails loudly) rather than moved on a wrong basis.
  private async readFromD1(workspaceId: string): Promise<LoadedState | null> {
    const row = await this.db
      .select({
        balanceMicros: balances.balanceMicros,
        updatedAtMs: balances.updatedAtMs,
        // Bound parameter, not a column reference: drizzle writes unqualified column names, so a
        // correlated `workspace_id = workspace_id` would sum every tenant's entries.
        ledgerSumMicros: sql<number>`(SELECT COALESCE(SUM(t.amount_micros), 0) FROM transactions t WHERE t.workspace_id = ${workspaceId} AND t.status = 'completed')`,
      })
      .from(balances)
      .where(eq(balances.workspaceId, workspaceId))
      .get();
    if (!row) return null;
    if (row.balanceMicros !== row.ledgerSumMicros) {
      throw new LedgerInvariantError(`ledger invariant violated for ${workspaceId}: balance ${row.balanceMicros} != entries ${row.ledgerSumMicros}`);
    }
    this.state = { workspaceId, balanceMicros: row.balanceMicros, updatedAtMs: row.updatedAtMs };
    return this.state;
  }
}
