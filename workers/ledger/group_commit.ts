// Group commit for every money write that goes through the workspace's object: ledger entries
// (deductions, adjustments, refunds, disputes), deposits opened and closed, resources started,
// stopped and resized. The writes that arrive while a commit is in flight wait; the next queue turn
// decides them in arrival order against the running state (group_view.ts) and writes them together
// in one D1 batch (group_batch.ts). A far D1 costs one round trip per group instead of one per
// write (two when a write of the group must first read what D1 holds: a deposit to close, a
// resource to stop). Each write keeps its own outcome (a refusal writes nothing and fails no
// other), and is answered only once the batch is durable; a failed batch fails the whole group.
import { eq, inArray } from 'drizzle-orm';
import { resources } from '../../schema/tables';
import { isBalanceGuardMiss, isUniqueViolation } from '../lib/d1_errors';
import { GroupBatch, lookupKeys, type Committed } from './group_batch';
import { GroupView, type GroupFound } from './group_view';
import { notFound, refreshPrices, type LedgerContext } from './ledger_context';
import type { LedgerResult } from './ledger_result';
import { LedgerInvariantError } from './load_state';
import { sendNotifications } from './send_notifications';
import type { SerialQueue } from './serial_queue';

/** The ledger keys and resource ids a write reads or writes. */
export interface GroupKeys {
  keys?: readonly string[];
  resourceIds?: readonly string[];
}

/** One write of a group (see entry_writes.ts, deposits.ts, resources.ts). */
export interface GroupWrite<T> {
  readonly workspaceId: string;
  /** What must be read from D1 before this write can be decided (one read for the whole group). */
  readonly reads?: GroupKeys;
  /**
   * What this write may insert without reading first: when the batch fails on a duplicate, these
   * are read and the group is decided again (the write then finds its earlier self and replays).
   */
  readonly writes?: GroupKeys;
  /** Decides on prices checked now (instance types), not within the last second. */
  readonly freshPrices?: boolean;
  /** Work before the group is decided (hashing the request); runs once. */
  prepare?(): Promise<void>;
  /**
   * Decides against the group's running view and appends its statements to the batch. Changes
   * nothing but the view and the batch; returns how to answer once the batch is durable.
   */
  decide(view: GroupView, batch: GroupBatch): (committed: Committed) => LedgerResult<T>;
}

interface Waiter {
  write: GroupWrite<unknown>;
  resolve: (result: LedgerResult<unknown>) => void;
  reject: (error: unknown) => void;
}

/** At most this many writes per batch (D1 binds at most 100 parameters per statement: the key lookups). */
const MAX_GROUP_WRITES = 50;
/** Writes come fast: prices checked within the last second are current enough to decide on. */
const PRICE_CHECK_MS = 1_000;

export class LedgerGroupCommit {
  private waiters: Waiter[] = [];
  private scheduled = false;

  /** `afterCommit` runs once per group that wrote, in its queue turn, before the answers (zero-balance enforcement). */
  constructor(
    private readonly ledger: LedgerContext,
    private readonly queue: SerialQueue,
    private readonly afterCommit: (workspaceId: string) => Promise<unknown>,
  ) {}

  /** Answered once the group holding this write is durable in D1. */
  submit<T>(write: GroupWrite<T>): Promise<LedgerResult<T>> {
    return new Promise<LedgerResult<unknown>>((resolve, reject) => {
      this.waiters.push({ write, resolve, reject });
      this.schedule();
    }) as Promise<LedgerResult<T>>;
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.queue.run(async () => {
      this.scheduled = false;
      const group = this.waiters.splice(0, MAX_GROUP_WRITES);
      if (this.waiters.length > 0) this.schedule();
      await this.runGroup(group);
    });
  }

  private async runGroup(group: Waiter[]): Promise<void> {
    let outcome: { answers: LedgerResult<unknown>[]; wrote: boolean };
    try {
      outcome = await commitGroup(
        this.ledger,
        group.map((w) => w.write),
      );
    } catch (error) {
      // Nothing of the group is written (one batch); the cache may not match D1 any more.
      this.ledger.dropState();
      for (const w of group) w.reject(error);
      return;
    }
    // Committed: the answers stand whatever enforcement does (it handles its own failures).
    if (outcome.wrote) await this.afterCommit(group[0]!.write.workspaceId).catch(() => undefined);
    group.forEach((w, i) => w.resolve(outcome.answers[i]!));
  }
}

/**
 * Decides and writes a group in the caller's queue turn: one D1 batch (after one read when a write
 * needs it). A stale cache or a duplicate key (an earlier life of the object wrote it) makes the
 * group be decided once more on what D1 holds; any other failure throws, nothing written.
 */
export async function commitGroup(ledger: LedgerContext, writes: GroupWrite<unknown>[]): Promise<{ answers: LedgerResult<unknown>[]; wrote: boolean }> {
  const workspaceId = writes[0]!.workspaceId;
  if (writes.some((w) => w.workspaceId !== workspaceId)) throw new LedgerInvariantError('ledger object addressed with another workspace id');
  await Promise.all(writes.map((w) => w.prepare?.()));
  const found: GroupFound = { entries: new Map(), resources: new Map() };
  let toRead: GroupKeys[] = writes.flatMap((w) => (w.reads ? [w.reads] : []));
  let readWrites = false;
  let retriedStale = false;
  for (;;) {
    const state = await ledger.load(workspaceId);
    if (!state) return { answers: writes.map(() => notFound), wrote: false };
    // Mutations decide on current prices (the spendable balance depends on them). The price check
    // and the group's reads go to D1 at once: one round trip's wait.
    const pricesStale = writes.some((w) => w.freshPrices) || Date.now() - state.pricesCheckedAtMs > PRICE_CHECK_MS;
    await Promise.all([pricesStale ? refreshPrices(ledger.env, state) : null, readInto(ledger, workspaceId, toRead, found)]);
    toRead = [];
    const view = new GroupView(state, Date.now(), found);
    const batch = new GroupBatch(ledger, state, view.nowMs);
    try {
      const answerOf = writes.map((w) => w.decide(view, batch));
      const committed = await batch.commit();
      view.applyTo(state, batch.movesBalance);
      await sendNotifications(ledger.env, batch.notifications);
      return { answers: answerOf.map((answer) => answer(committed)), wrote: batch.wrote };
    } catch (error) {
      if (!readWrites && isUniqueViolation(error)) {
        // Writes take no read before an insert: a replay shows up as a unique index failing the
        // batch (nothing written). Read what they write and decide again.
        readWrites = true;
        toRead = [...writes.flatMap((w) => [w.reads ?? {}, w.writes ?? {}])];
        continue;
      }
      // Any other failure: the cache may not match D1. Rebuild it before the next decision; if the
      // guard showed the cache was stale, decide the whole group once more on the fresh balance.
      ledger.dropState();
      if (!retriedStale && isBalanceGuardMiss(error)) {
        retriedStale = true;
        console.error(JSON.stringify({ level: 'error', msg: 'balance cache was stale; rebuilt from D1', workspaceId }));
        toRead = writes.flatMap((w) => (w.reads ? [w.reads] : []));
        continue;
      }
      throw error;
    }
  }
}

/** One D1 round trip for everything the group must see: ledger entries by key, resources by id. */
async function readInto(ledger: LedgerContext, workspaceId: string, needs: GroupKeys[], found: GroupFound): Promise<void> {
  const keys = [...new Set(needs.flatMap((n) => n.keys ?? []))];
  const ids = [...new Set(needs.flatMap((n) => n.resourceIds ?? []))];
  if (keys.length === 0 && ids.length === 0) return;
  const db = ledger.db;
  // At most 50 writes per group, each with at most one key or id: within D1's 100 parameters.
  const [entries, rows] = await db.batch([
    lookupKeys(db, workspaceId, keys.length > 0 ? keys : ['']),
    db
      .select()
      .from(resources)
      .where(ids.length > 0 ? inArray(resources.id, ids) : eq(resources.id, '')),
  ]);
  for (const row of entries) found.entries.set(row.idempotencyKey, row);
  // A resource id is global (the platform's): another workspace's is found too, and is not its own.
  for (const row of rows) found.resources.set(row.id, row);
}
