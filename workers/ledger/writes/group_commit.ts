// Group commit for every money write that goes through the workspace's object: ledger entries
// (deductions, adjustments, refunds, disputes), deposits opened and closed, resources started,
// stopped and resized. The writes that arrive while a commit is in flight wait; the next queue turn
// decides them in arrival order against the running state (group_view.ts) and writes them together
// in one D1 batch (group_batch.ts). A far D1 costs one round trip per group instead of one per
// write (two when a write of the group must first read what D1 holds: a deposit to close, a
// resource to stop). Each write keeps its own outcome (a refusal writes nothing and fails no
// other), and is answered only once the batch is durable; a failed batch fails the whole group.
import { eq, inArray } from 'drizzle-orm';
import { resources } from '../../../schema/tables';
import { isBalanceGuardMiss, isUniqueViolation } from '../../lib/d1_errors';
import { GroupBatch, lookupKeys, type Committed } from './group_batch';
import { enforcementQuietAfter } from '../enforcement/enforcement_quiet';
import { GroupView, type GroupFound } from './group_view';
import type { EntryJournal } from './entry_journal';
import type { EntryProjector } from './entry_projector';
import { notFound, refreshPrices, WRITE_PRICE_CHECK_MS, type LedgerContext } from '../state/ledger_context';
import { ledgerUnavailable, type LedgerResult } from '../ledger_result';
import { LedgerInvariantError, type LedgerState } from '../state/ledger_state';
import { sendNotifications } from '../state/send_notifications';
import type { SerialQueue } from '../state/serial_queue';

/** The ledger keys and resource ids a write reads or writes. */
export interface GroupKeys {
  keys?: readonly string[];
  resourceIds?: readonly string[];
}

/** One write of a group (see entry_writes.ts, deposits.ts, resources.ts). */
export interface GroupWrite<T> {
  readonly workspaceId: string;
  /** Durable once in the object's journal (entry_journal.ts), projected to D1 behind it. */
  readonly journaled?: boolean;
  /** What must be read from D1 before this write can be decided (one read for the whole group). */
  readonly reads?: GroupKeys;
  /**
   * What this write may insert without reading first: when the batch fails on a duplicate, these
   * are read and the group is decided again (the write then finds its earlier self and replays).
   */
  readonly writes?: GroupKeys;
  /** Decides on prices checked now (instance types), not within the last second. */
  readonly freshPrices?: boolean;
  /** May be decided behind a group whose batch is still in flight (ledger entries: no read, no resource). */
  readonly pipelinable?: boolean;
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

/** The object's journal of deductions and adjustments, and what projects it to D1. */
export interface Journaling {
  journal: EntryJournal;
  projector: EntryProjector;
  /** After a group was journaled: makes sure the object's alarm will project it if the object is evicted. */
  journaled(): Promise<void>;
}

/** At most this many writes per batch (D1 binds at most 100 parameters per statement: the key lookups). */
const MAX_GROUP_WRITES = 50;

/**
 * A group whose batch is in flight: decided on the state the group before it leaves (or on the
 * cached state), not yet answered.
 */
interface InFlight {
  group: Waiter[];
  state: LedgerState;
  view: GroupView;
  batch: GroupBatch;
  answerOf: ((committed: Committed) => LedgerResult<unknown>)[];
  committed: Promise<Committed>;
  /** The balance its guard expects D1 to hold when it runs. */
  startMicros: number;
  done: boolean;
  /**
   * Entries only, moving the balance by a non-zero total, leaving nothing for enforcement to do. A
   * group decided behind it expects the balance it leaves: unless this batch commits first, that
   * guard fails and the later batch aborts whole. A group that moves no balance could not protect
   * the one behind it so; one after which enforcement would act (a balance at zero, below the
   * auto-top-up threshold or the low-balance horizon) is followed only once enforcement has run.
   */
  chainable: boolean;
}

/** At most this many groups per queue turn (small ones, when pipelined): other work of the object (settlement, ingestion) waits no longer. */
const MAX_GROUPS_PER_TURN = 32;
/**
 * Batches in flight at once. Two measured best here (deeper pipelines sent many one-entry batches
 * and cost more CPU than they saved); the chaining rule in drain() stays safe at any depth.
 */
const MAX_BATCHES_IN_FLIGHT = 2;
const ignore = () => undefined;

export class LedgerGroupCommit {
  private waiters: Waiter[] = [];
  private scheduled = false;
  private wake: (() => void) | null = null;
  /** A workspace whose committed groups enforcement has not seen yet (they had a group in flight behind them). */
  private unenforced: string | null = null;

  /**
   * `afterCommit` runs in the queue turn once the groups that wrote are committed, before their last
   * answers (zero-balance enforcement). `journaling` keeps journaled groups (deductions and
   * adjustments) in the object's SQLite; every group that writes to D1 itself waits until the
   * journal is projected first, since its balance guard expects D1 to hold the object's balance.
   */
  constructor(
    private readonly ledger: LedgerContext,
    private readonly queue: SerialQueue,
    private readonly afterCommit: (workspaceId: string) => Promise<unknown>,
    private readonly journaling: Journaling,
  ) {}

  /** Answered once the group holding this write is durable in D1. */
  submit<T>(write: GroupWrite<T>): Promise<LedgerResult<T>> {
    return new Promise<LedgerResult<unknown>>((resolve, reject) => {
      this.waiters.push({ write, resolve, reject });
      this.wake?.();
      this.schedule();
    }) as Promise<LedgerResult<T>>;
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.queue.run(async () => {
      this.scheduled = false;
      await this.drain();
      if (this.waiters.length > 0) this.schedule();
    });
  }

  /**
   * One queue turn: groups one after another. A group of entries that arrives while batches are in
   * flight is decided on the state the last of them leaves and sent at once (pipelining), when
   * that last one is chainable and the balance it leaves differs from the balance before each
   * batch in flight: then, whichever batches D1 has committed when this one runs, the balance is
   * the one its guard expects only if every batch before it committed. Answers go out in order,
   * each once its batch is durable. If a batch fails, the ones behind it cannot have passed their
   * guards: they fail with it (or, when it only met a replay or a stale cache, are decided again).
   * At most MAX_BATCHES_IN_FLIGHT batches are in flight.
   */
  private async drain(): Promise<void> {
    const flights: InFlight[] = [];
    let groups = 0;
    for (;;) {
      const head = flights[0];
      if (head && !head.done && this.waiters.length === 0) {
        // Wait for the first batch in flight to answer, or for writes to arrive meanwhile.
        await Promise.race([head.committed.then(ignore, ignore), new Promise<void>((resolve) => (this.wake = resolve))]);
        this.wake = null;
      }
      const more = this.waiters.length > 0 && groups < MAX_GROUPS_PER_TURN;
      if (!head) {
        if (!more) return this.enforce();
        groups++;
        const group = this.takeGroup();
        if (group[0]!.write.journaled) {
          await this.journalGroup(group);
          continue;
        }
        try {
          await this.journaling.projector.drained();
        } catch (error) {
          // D1 contradicts the journal: this group's D1 batch cannot be guarded; it is refused, loudly.
          for (const w of group) error instanceof LedgerInvariantError ? w.resolve(ledgerUnavailable) : w.reject(error);
          continue;
        }
        const flight = group.every((w) => w.write.pipelinable) ? await this.send(group, null).catch(() => null) : null;
        if (flight) flights.push(flight);
        else await this.runGroup(group);
        continue;
      }
      const tail = flights[flights.length - 1]!;
      const canChain = flights.length < MAX_BATCHES_IN_FLIGHT && tail.chainable && flights.every((f) => f.startMicros !== tail.view.balanceMicros);
      if (more && !head.done && canChain && !this.waiters[0]!.write.journaled) {
        const group = this.takeGroup();
        const flight = await this.send(group, tail).catch(() => null);
        if (flight) {
          groups++;
          flights.push(flight);
          continue;
        }
        this.waiters.unshift(...group); // not one to pipeline: decided once the batches in flight are in
      }
      flights.shift();
      if (!(await this.finish(head, flights))) flights.length = 0;
    }
  }

  /**
   * The next group: up to MAX_GROUP_WRITES waiting writes, journaled ones and the others never
   * mixed (a journaled group is durable in the object, the others in D1).
   */
  private takeGroup(): Waiter[] {
    const journaled = this.waiters[0]!.write.journaled ?? false;
    let n = 0;
    while (n < this.waiters.length && n < MAX_GROUP_WRITES && (this.waiters[n]!.write.journaled ?? false) === journaled) n++;
    return this.waiters.splice(0, n);
  }

  /**
   * A group of deductions and adjustments, durable in the object's journal: decided against the
   * running state (which includes journaled groups D1 does not hold yet) with replays and conflicts
   * told by the key index, stored in one synchronous SQLite transaction, answered (the output gate
   * holds the answers until that write is durable), and projected to D1 behind it. A failure of the
   * journal write fails the whole group and changes nothing.
   */
  private async journalGroup(group: Waiter[]): Promise<void> {
    const writes = group.map((w) => w.write);
    const workspaceId = writes[0]!.workspaceId;
    let answers: LedgerResult<unknown>[];
    let wrote: boolean;
    let view: GroupView;
    try {
      if (writes.some((w) => w.workspaceId !== workspaceId)) throw new LedgerInvariantError('ledger object addressed with another workspace id');
      const state = await this.ledger.load(workspaceId);
      if (!state) {
        for (const w of group) w.resolve(notFound);
        return;
      }
      if (writes.some((w) => w.freshPrices) || Date.now() - state.pricesCheckedAtMs > WRITE_PRICE_CHECK_MS) await refreshPrices(this.ledger.env, state);
      await Promise.all(writes.map((w) => w.prepare?.()));
      const { journal } = this.journaling;
      view = new GroupView(state, Date.now(), { entries: journal.known(writes.flatMap((w) => w.writes?.keys ?? [])), resources: new Map() });
      const batch = new GroupBatch(this.ledger, state, view.nowMs);
      const answerOf = writes.map((w) => w.decide(view, batch));
      wrote = batch.wrote;
      if (wrote) journal.append(batch.journalStatements(), batch.entryRows);
      view.applyTo(state, batch.movesBalance);
      const committed: Committed = { rows: () => [], earlier: () => undefined };
      answers = answerOf.map((answer) => answer(committed));
    } catch (error) {
      // Nothing journaled (the SQLite transaction rolled back), the state untouched.
      for (const w of group) w.reject(error);
      return;
    }
    if (wrote) {
      this.journaling.projector.journaled();
      await this.journaling.journaled();
      // Enforcement acts only when the balance demands it (and then waits for the projection: it
      // writes to D1); otherwise nothing of the group waits for D1.
      if (!enforcementQuietAfter(view, this.ledger.env)) {
        this.unenforced = workspaceId;
        await this.enforce();
      }
    }
    group.forEach((w, i) => w.resolve(answers[i]!));
  }

  /**
   * Decides a group of entries and sends its batch without waiting for it: on the cached state, or
   * behind `before` on the state its batch leaves. Null when the group must go the ordinary way.
   */
  private async send(group: Waiter[], before: InFlight | null): Promise<InFlight | null> {
    const writes = group.map((w) => w.write);
    const workspaceId = writes[0]!.workspaceId;
    if (writes.some((w) => w.workspaceId !== workspaceId || !w.pipelinable)) return null;
    let state: LedgerState;
    if (before) {
      state = before.state;
      // Behind a batch in flight, decide only on prices already fresh (no D1 round trip first).
      if (Date.now() - state.pricesCheckedAtMs > WRITE_PRICE_CHECK_MS) return null;
    } else {
      const loaded = await this.ledger.load(workspaceId).catch(() => null);
      if (!loaded) return null;
      state = loaded;
      if (Date.now() - state.pricesCheckedAtMs > WRITE_PRICE_CHECK_MS) await refreshPrices(this.ledger.env, state);
    }
    await Promise.all(writes.map((w) => w.prepare?.()));
    const nowMs = Math.max(Date.now(), before?.view.nowMs ?? 0);
    const view = before ? GroupView.behind(before.view, nowMs) : new GroupView(state, nowMs, { entries: new Map(), resources: new Map() });
    const batch = new GroupBatch(this.ledger, state, nowMs, view.balanceMicros);
    const startMicros = view.balanceMicros;
    let answerOf: InFlight['answerOf'];
    let committed: Promise<Committed>;
    try {
      answerOf = writes.map((w) => w.decide(view, batch));
      committed = batch.commit();
    } catch (error) {
      committed = Promise.reject(error);
      answerOf = [];
    }
    // Chainable: the balance moves (see InFlight), and enforcement would have nothing to do after
    // this group (the group behind it is decided before enforcement could run).
    const chainable = batch.movesBalance && view.balanceMicros !== startMicros && enforcementQuietAfter(view, this.ledger.env);
    const flight: InFlight = { group, state, view, batch, answerOf, committed, startMicros, done: false, chainable };
    committed.then(
      () => (flight.done = true),
      () => (flight.done = true),
    );
    return flight;
  }

  /**
   * Answers the first group in flight once its batch is in. False when it failed: then the groups
   * `behind` it, decided on its outcome, are failed with it (their batches could not pass their
   * guards) or put back to be decided again. True: they go on.
   */
  private async finish(flight: InFlight, behind: InFlight[]): Promise<boolean> {
    let committed: Committed;
    try {
      committed = await flight.committed;
    } catch (error) {
      // Nothing of this group is written. Each group behind expected a balance this one would have
      // left first: their batches abort too (a commit of one here would break that proof: fail loudly).
      // A group behind that wrote nothing (it replayed what this one decided: the same key sent twice
      // at once) had no guard to break: it is decided again below, with the rest.
      const behindWrote = (await Promise.all(behind.map((b) => b.committed.then(() => b.batch.wrote, () => false)))).some(Boolean);
      this.ledger.dropState();
      const later = behind.flatMap((b) => b.group);
      if (behindWrote) {
        const broken = new LedgerInvariantError('a group committed behind a group that failed');
        for (const w of [...flight.group, ...later]) w.reject(broken);
        return false;
      }
      if (isUniqueViolation(error) || isBalanceGuardMiss(error)) {
        // A replay, or a stale cache: decided again the ordinary way (reading the keys, on D1's
        // balance); the groups behind it then too, in order.
        this.waiters.unshift(...later);
        await this.runGroup(flight.group, { readWrites: isUniqueViolation(error) });
        return false;
      }
      for (const w of [...flight.group, ...later]) w.reject(error);
      return false;
    }
    flight.view.applyTo(flight.state, flight.batch.movesBalance);
    await sendNotifications(this.ledger.env, flight.batch.notifications);
    const answers = flight.answerOf.map((answer) => answer(committed));
    // Enforcement acts on the state once nothing is in flight any more (it writes, too).
    if (flight.batch.wrote) this.unenforced = flight.group[0]!.write.workspaceId;
    if (behind.length === 0) await this.enforce();
    flight.group.forEach((w, i) => w.resolve(answers[i]!));
    return true;
  }

  private async enforce(): Promise<void> {
    const workspaceId = this.unenforced;
    this.unenforced = null;
    if (workspaceId) await this.afterCommit(workspaceId).catch(ignore);
  }

  private async runGroup(group: Waiter[], options: { readWrites?: boolean } = {}): Promise<void> {
    let outcome: { answers: LedgerResult<unknown>[]; wrote: boolean };
    try {
      outcome = await commitGroup(
        this.ledger,
        group.map((w) => w.write),
        options,
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
export async function commitGroup(
  ledger: LedgerContext,
  writes: GroupWrite<unknown>[],
  options: { readWrites?: boolean } = {},
): Promise<{ answers: LedgerResult<unknown>[]; wrote: boolean }> {
  const workspaceId = writes[0]!.workspaceId;
  if (writes.some((w) => w.workspaceId !== workspaceId)) throw new LedgerInvariantError('ledger object addressed with another workspace id');
  await Promise.all(writes.map((w) => w.prepare?.()));
  const found: GroupFound = { entries: new Map(), resources: new Map() };
  // `readWrites`: a batch of this group already failed on a duplicate key; read them first.
  let readWrites = options.readWrites ?? false;
  let toRead: GroupKeys[] = writes.flatMap((w) => (readWrites ? [w.reads ?? {}, w.writes ?? {}] : w.reads ? [w.reads] : []));
  let retriedStale = false;
  for (;;) {
    const state = await ledger.load(workspaceId);
    if (!state) return { answers: writes.map(() => notFound), wrote: false };
    // Mutations decide on current prices (the spendable balance depends on them). The price check
    // and the group's reads go to D1 at once: one round trip's wait.
    const pricesStale = writes.some((w) => w.freshPrices) || Date.now() - state.pricesCheckedAtMs > WRITE_PRICE_CHECK_MS;
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
