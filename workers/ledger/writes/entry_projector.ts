// Sends journaled groups (entry_journal.ts) to the shard D1, strictly in order, and marks them
// projected in the journal once D1 committed them. Several groups may go in one D1 batch: each keeps its balance
// guard, chained from the balance the group before it leaves, so D1 still proves the order. A failed
// batch is retried with backoff for as long as it takes: its entries were answered, and the journal
// holds them durably meanwhile. The object's other D1 writers (and readers) wait for `drained()`,
// since their own guards expect D1 to hold the balance the object holds.
import { and, eq, inArray } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { transactions } from '../../../schema/tables';
import { isBalanceGuardMiss, isUniqueViolation } from '../../lib/d1_errors';
import type { EntryJournal, JournaledGroup } from './entry_journal';
import { LedgerInvariantError } from '../state/ledger_state';

/** Groups per D1 batch: a group holds two statements per run of entries, at most 50 entries. */
const MAX_GROUPS_PER_BATCH = 16;
/** How long a run lets journaled groups gather before it sends them (see gather()). */
const GATHER_MS = 40;
const RETRY_FIRST_MS = 20;
const RETRY_MAX_MS = 5_000;
/**
 * Transient failures in a row after which a run stops (about 1.3 s of backoff): the object's alarm,
 * armed whenever the journal holds groups, or the next caller waiting for the projection, starts
 * the next run. An object whose D1 is down does not spin in memory meanwhile.
 */
const FAILURES_PER_RUN = 7;

export class EntryProjector {
  private running: Promise<void> | null = null;
  /**
   * Set while D1 holds something that contradicts the journal (it moved behind the object's back):
   * every D1 use of the object fails with it, loudly, and the projection is retried slowly (or at
   * once when asked) until D1 is repaired; the journal keeps the answered entries meanwhile.
   */
  private broken: Error | null = null;
  /** Failed attempts in a row (for the backoff). */
  failures = 0;
  private attemptListeners: (() => void)[] = [];
  private wakeRetry: (() => void) | null = null;
  private wakeGather: (() => void) | null = null;

  constructor(
    private readonly journal: EntryJournal,
    /** The shard's D1, once the object knows it (after an eviction, read from its storage). */
    private readonly shardD1: () => Promise<D1Database | null>,
    /** The workspace (to look its entries up in D1 after an ambiguous failure). */
    private readonly workspaceId: () => Promise<string | null>,
    /** Runs once the journal is empty, before waiting callers go on (the object then tidies up: stored projected groups, its alarm). */
    private readonly onEmpty: () => Promise<void> = async () => undefined,
  ) {}

  /**
   * Starts projecting if anything is journaled, or cuts a wait short: a retry's after a
   * contradiction, or the moment a run gives groups to gather (someone waits for D1 now).
   */
  kick(): void {
    if (this.journal.empty) return;
    // A transient failure keeps its backoff; a contradiction is retried when asked (after a repair).
    if (this.running) {
      if (this.broken) this.wakeRetry?.();
      this.wakeGather?.();
    } else this.running = this.run();
  }

  /**
   * A group was journaled: projected with the groups journaled within the next moment, in one D1
   * batch (nobody waits for it; whoever needs D1 to hold it calls drained(), which sends at once).
   */
  journaled(): void {
    if (!this.running && !this.journal.empty) this.running = this.run();
  }

  /**
   * Resolves once every group journaled before the call is in D1 (through transient D1 failures,
   * however long they last); rejects when D1 contradicts the journal, after one more attempt.
   */
  async drained(): Promise<void> {
    while (!this.journal.empty) {
      const wasBroken = this.broken;
      // Listening before the kick: a run it starts sends at once, without letting groups gather.
      const attempt = new Promise<void>((resolve) => this.attemptListeners.push(resolve));
      this.kick();
      await attempt;
      if (wasBroken && this.broken) throw this.broken;
    }
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        if (await this.projectAll()) return;
        await this.onEmpty().catch(() => undefined);
        // A group journaled meanwhile is projected by this run.
        if (this.journal.empty) return;
      }
    } finally {
      // Synchronously with the last look at the journal: a group journaled after it starts a new run.
      this.running = null;
      this.attempted();
    }
  }

  /** Projects until the journal is empty (false) or the run gives up after transient failures (true). */
  private async projectAll(): Promise<boolean> {
    while (!this.journal.empty) {
      await this.gather();
      const groups = this.journal.oldest(MAX_GROUPS_PER_BATCH);
      let retryMs = 0;
      try {
        this.journal.projectedThrough(await this.send(groups));
        this.failures = 0;
        this.broken = null;
      } catch (error) {
        this.failures += 1;
        if (error instanceof LedgerInvariantError) {
          this.broken = error;
          retryMs = RETRY_MAX_MS;
          console.error(JSON.stringify({ level: 'error', msg: 'journal projection contradicts D1; the ledger stops writing to D1 until it is repaired', error: String(error) }));
        } else {
          retryMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** ((this.failures - 1) % FAILURES_PER_RUN));
          console.error(JSON.stringify({ level: 'error', msg: 'journal projection failed; retrying', failures: this.failures, error: String(error) }));
          if (this.failures % FAILURES_PER_RUN === 0) return true;
        }
      }
      this.attempted();
      if (retryMs > 0) {
        await new Promise<void>((resolve) => {
          this.wakeRetry = resolve;
          setTimeout(resolve, retryMs);
        });
        this.wakeRetry = null;
      }
    }
    return false;
  }

  /**
   * Lets groups gather for one batch: each D1 batch costs the object about as much CPU whether it
   * carries one group or sixteen, and under a steady flow the journal would otherwise be sent one
   * group at a time. Not when someone waits for D1, after a failure, or with a full batch waiting.
   */
  private async gather(): Promise<void> {
    if (this.attemptListeners.length > 0 || this.failures > 0 || this.journal.unprojectedAtLeast(MAX_GROUPS_PER_BATCH)) return;
    await new Promise<void>((resolve) => {
      this.wakeGather = resolve;
      setTimeout(resolve, GATHER_MS);
    });
    this.wakeGather = null;
  }

  private attempted(): void {
    const listeners = this.attemptListeners;
    this.attemptListeners = [];
    for (const resolve of listeners) resolve();
  }
  /** Sends the groups in one batch; answers the seq through which D1 now holds the journal. */
  private async send(groups: JournaledGroup[]): Promise<number> {
    const d1 = await this.shardD1();
    if (!d1) throw new LedgerInvariantError('journaled entries of a workspace without a ledger shard');
    const workspaceId = await this.workspaceId();
    if (!workspaceId) throw new LedgerInvariantError('journaled entries of an unknown workspace');
    const lastSeq = groups[groups.length - 1]!.seq;
    try {
      await d1.batch([
        ...groups.flatMap((g) => g.statements.map((s) => d1.prepare(s.sql).bind(...s.params))),
        // Last, after the guarded statements: readers compare it with the object's answered seq.
        d1.prepare('UPDATE balances SET projected_journal_seq = ?1 WHERE workspace_id = ?2 AND projected_journal_seq < ?1').bind(lastSeq, workspaceId),
      ]);
      return lastSeq;
    } catch (error) {
      // A key or id already taken, or a guard that does not hold: an earlier attempt (whose answer
      // was lost, or a previous life of the object) may have committed the oldest groups. Those
      // leave the journal; anything else means D1 moved behind the object's back.
      if (!isUniqueViolation(error) && !isBalanceGuardMiss(error)) throw error;
      const done = await this.alreadyProjected(d1, workspaceId, groups);
      if (done === 0) throw new LedgerInvariantError(`journal group ${groups[0]!.seq} cannot be projected: ${String(error)}`);
      return groups[done - 1]!.seq;
    }
  }

  /**
   * How many of `groups`, from the oldest, D1 holds already: every entry of the group found by its
   * id (ids are made when the group is decided, so a key some other write took does not count).
   */
  private async alreadyProjected(d1: D1Database, workspaceId: string, groups: JournaledGroup[]): Promise<number> {
    const db = drizzle(d1);
    let done = 0;
    for (const group of groups) {
      const found = await db
        .select({ id: transactions.id })
        .from(transactions)
        .where(and(eq(transactions.workspaceId, workspaceId), inArray(transactions.id, group.ids)));
      if (found.length === group.ids.length) {
        done += 1;
        continue;
      }
      if (found.length > 0) throw new LedgerInvariantError(`journal group ${group.seq} is partly in D1`);
      break;
    }
    return done;
  }
}
