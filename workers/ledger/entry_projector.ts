// Sends journaled groups (entry_journal.ts) to the shard D1, strictly in order, and deletes them from
// the journal once D1 committed them. Several groups may go in one D1 batch: each keeps its balance
// guard, chained from the balance the group before it leaves, so D1 still proves the order. A failed
// batch is retried with backoff for as long as it takes: its entries were answered, and the journal
// holds them durably meanwhile. The object's other D1 writers (and readers) wait for `drained()`,
// since their own guards expect D1 to hold the balance the object holds.
import { and, eq, inArray } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { transactions } from '../../schema/tables';
import { isBalanceGuardMiss, isUniqueViolation } from '../lib/d1_errors';
import type { EntryJournal, JournaledGroup } from './entry_journal';
import { LedgerInvariantError } from './load_state';

/** Groups per D1 batch: a group holds two statements per run of entries, at most 50 entries. */
const MAX_GROUPS_PER_BATCH = 16;
const RETRY_FIRST_MS = 20;
const RETRY_MAX_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EntryProjector {
  private running: Promise<void> | null = null;
  /** Set when D1 holds something that contradicts the journal: every later D1 use fails with it. */
  private broken: Error | null = null;
  /** Failed attempts in a row (for the backoff, and for tests). */
  failures = 0;

  constructor(
    private readonly journal: EntryJournal,
    /** The shard's D1, once the object knows it (after an eviction, read from its storage). */
    private readonly shardD1: () => Promise<D1Database | null>,
    /** The workspace (to look its entries up in D1 after an ambiguous failure). */
    private readonly workspaceId: () => Promise<string | null>,
  ) {}

  /** Starts projecting if anything is journaled (answers at once). */
  kick(): void {
    if (!this.journal.empty && !this.running) this.running = this.run().finally(() => (this.running = null));
  }

  /** Resolves once every group journaled before the call is in D1; rejects if the projection is broken. */
  async drained(): Promise<void> {
    while (!this.journal.empty) {
      if (this.broken) throw this.broken;
      this.kick();
      await this.running;
    }
    if (this.broken) throw this.broken;
  }

  private async run(): Promise<void> {
    while (!this.journal.empty && !this.broken) {
      const groups = this.journal.oldest(MAX_GROUPS_PER_BATCH);
      try {
        this.journal.projectedThrough(await this.send(groups));
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        if (error instanceof LedgerInvariantError) {
          this.broken = error;
          console.error(JSON.stringify({ level: 'error', msg: 'journal projection contradicts D1; ledger writes stopped', error: String(error) }));
          return;
        }
        console.error(JSON.stringify({ level: 'error', msg: 'journal projection failed; retrying', failures: this.failures, error: String(error) }));
        await sleep(Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.failures - 1)));
      }
    }
  }

  /** Sends the groups in one batch; answers the seq through which D1 now holds the journal. */
  private async send(groups: JournaledGroup[]): Promise<number> {
    const d1 = await this.shardD1();
    if (!d1) throw new LedgerInvariantError('journaled entries of a workspace without a ledger shard');
    try {
      await d1.batch(groups.flatMap((g) => g.statements.map((s) => d1.prepare(s.sql).bind(...s.params))));
      return groups[groups.length - 1]!.seq;
    } catch (error) {
      // A key already taken, or a guard that does not hold: an earlier attempt (whose answer was
      // lost, or a previous life of the object) may have committed the oldest groups. Those leave
      // the journal; anything else means D1 moved behind the object's back.
      if (!isUniqueViolation(error) && !isBalanceGuardMiss(error)) throw error;
      const done = await this.alreadyProjected(d1, groups);
      if (done === 0) throw new LedgerInvariantError(`journal group ${groups[0]!.seq} cannot be projected: ${String(error)}`);
      return groups[done - 1]!.seq;
    }
  }

  /** How many of `groups`, from the oldest, D1 holds already (every key of the group found). */
  private async alreadyProjected(d1: D1Database, groups: JournaledGroup[]): Promise<number> {
    const workspaceId = await this.workspaceId();
    if (!workspaceId) throw new LedgerInvariantError('journaled entries of an unknown workspace');
    const db = drizzle(d1);
    let done = 0;
    for (const group of groups) {
      const found = await db
        .select({ key: transactions.idempotencyKey })
        .from(transactions)
        .where(and(eq(transactions.workspaceId, workspaceId), inArray(transactions.idempotencyKey, group.keys)));
      if (found.length === group.keys.length) {
        done += 1;
        continue;
      }
      if (found.length > 0) throw new LedgerInvariantError(`journal group ${group.seq} is partly in D1`);
      break;
    }
    return done;
  }
}
