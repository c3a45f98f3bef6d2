import { drizzle } from 'drizzle-orm/d1';
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import type { NormalizedEvent } from '../usage/usage_event';
import { CloseDepositWrite, depositWithSavedCard, OpenDepositWrite } from './deposits';
import { ZeroBalanceEnforcement } from './enforcement';
import { EventStore, type StoredEvent, type StoredRollup } from './event_store';
import { UsageIngestion } from './ingestion';
import { openHourLines, type OpenLine } from './open_lines';
import { notFound, refreshPrices, type LedgerContext } from './ledger_context';
import { withInjectedD1Latency } from './d1_latency';
import { EntryWrite } from './entry_writes';
import { LedgerGroupCommit } from './group_commit';
import type { LedgerResult } from './ledger_result';
import type { CloseDepositInput, CreditSummary, IngestResult, OpenDepositInput, PostEntryInput, SavedCardDepositInput } from './ledger_types';
import { LedgerInvariantError, readLedgerState, type LedgerState } from './load_state';
import { LedgerReads } from './reads';
import { ResizeVolumeWrite, StartResourceWrite, StopResourceWrite } from './resources';
import type { ResourceView, StartResourceInput } from './resource_view';
import { SerialQueue } from './serial_queue';
import { pruneEventsNow, settleNow } from './settlement';
import { retentionCutoffMs } from '../usage/retention';
import type { TransactionView } from './transaction_view';

/**
 * The only writer of one workspace's money. Holds the settled balance, the unsettled usage and the
 * price list in memory, so that credit checks need no D1 round trip; applies mutations one at a
 * time through an explicit queue (the input gate does not hold across awaits on D1); makes each
 * one a single atomic D1 batch whose balance update is guarded by the value it expected. If the
 * cache and D1 ever disagree, the batch fails, nothing is written, and the cache is rebuilt.
 *
 * The object owns the cached state and the queue; each concern lives in its own module (reads,
 * group_commit with entry_writes, deposits, ingestion, resources, settlement, enforcement, auto_recharge) and
 * reaches the state only through the LedgerContext below.
 */
export class WorkspaceLedger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    // The object's D1 handle: unchanged, unless the benchmark's server injects a round-trip delay.
    super(ctx, withInjectedD1Latency(env));
  }

  private readonly queue = new SerialQueue();
  private state: LedgerState | null = null;
  private loading: Promise<LedgerState | null> | null = null;

  private readonly ledger: LedgerContext = (() => {
    const env = this.env;
    return {
      env,
      get db() {
        return drizzle(env.DB);
      },
      load: (workspaceId: string) => this.load(workspaceId),
      dropState: () => {
        this.state = null;
      },
    };
  })();
  /** Raw usage events and open-hour rollups, in this object's own SQLite storage. */
  private readonly store = new EventStore(this.ctx.storage);
  private readonly enforcement = new ZeroBalanceEnforcement(this.ledger, this.ctx.storage, this.store);
  private readonly reads = new LedgerReads(this.ledger, this.ctx, (workspaceId) => this.checkBalance(workspaceId));
  private readonly ingestion = new UsageIngestion(this.ledger, this.queue, this.store, (workspaceId) =>
    this.thenEnforce(workspaceId, Promise.resolve({ ok: true, replayed: false, value: null })),
  );

  /** Every money write (entries, deposits, resources) goes through this group commit. */
  private readonly writes = new LedgerGroupCommit(this.ledger, this.queue, (workspaceId) =>
    this.thenEnforce(workspaceId, Promise.resolve({ ok: true, replayed: false, value: null })),
  );

  // --- reads: answered from memory once loaded --------------------------------------------------

  creditCheck(workspaceId: string, amountMicros: number): Promise<LedgerResult<{ allowed: boolean; balanceMicros: number }>> {
    return this.reads.creditCheck(workspaceId, amountMicros);
  }

  creditSummary(workspaceId: string): Promise<LedgerResult<CreditSummary>> {
    return this.reads.creditSummary(workspaceId);
  }

  quoteSandboxRuntime(
    workspaceId: string,
    instanceType: string,
    seconds: number,
  ): Promise<LedgerResult<{ costMicros: number; affordable: boolean; affordableSeconds: number | null; microsPerHour: number } | null>> {
    return this.reads.quoteSandboxRuntime(workspaceId, instanceType, seconds);
  }

  // --- ledger entries ---------------------------------------------------------------------------

  /**
   * Deductions, adjustments and refunds. Entries that arrive while a commit is in flight are
   * decided in order against the running balance and written together in the next D1 batch
   * (group commit); each is answered with its own outcome once durable.
   */
  postEntry(input: PostEntryInput): Promise<LedgerResult<TransactionView>> {
    return this.writes.submit(new EntryWrite(input));
  }

  // --- deposits: pending until Stripe says paid or failed --------------------------------------

  /** Records a pending deposit (and the checkout session that pays it), once per key. */
  openDeposit(input: OpenDepositInput): Promise<LedgerResult<TransactionView>> {
    return this.writes.submit(new OpenDepositWrite(input));
  }

  /**
   * A deposit paid at once with the saved card (the dashboard's "pay with Visa •••• 4242"): the
   * pending entry, then one off-session PaymentIntent keyed by the entry, then its outcome. A
   * payment Stripe has not decided yet stays pending for the webhook, as for auto-recharge.
   */
  depositWithSavedCard(input: SavedCardDepositInput): Promise<LedgerResult<TransactionView>> {
    return depositWithSavedCard(this.ledger, this.writes, input);
  }

  /**
   * Settles a pending deposit exactly once: completed (the balance moves in the same batch) or
   * failed. Later calls for the same key answer with the entry as it is. When a Stripe event caused
   * it, the event id is recorded in the same batch.
   */
  closeDeposit(input: CloseDepositInput): Promise<LedgerResult<TransactionView>> {
    return this.writes.submit(new CloseDepositWrite(input));
  }

  // --- usage ingestion: group commit ------------------------------------------------------------

  /**
   * Takes a request's events for this workspace. Requests that arrive while a commit is in flight
   * wait and are committed together in the next one (group commit): one D1 batch for all of them.
   */
  ingest(workspaceId: string, events: NormalizedEvent[], priceVersion?: number): Promise<LedgerResult<IngestResult>> {
    return this.ingestion.ingest(workspaceId, events, priceVersion);
  }

  /**
   * The open hours' usage as this object holds it, with the settled point it is relative to: usage
   * reports read settled hours from D1 and everything from `settledThroughMs` on from here.
   */
  async openUsage(workspaceId: string): Promise<LedgerResult<{ settledThroughMs: number; rollups: StoredRollup[] }>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    return { ok: true, replayed: false, value: { settledThroughMs: state.open.settledThroughMs, rollups: this.store.rollupsFrom(state.open.settledThroughMs) } };
  }

  /**
   * What the open hours have used so far, priced line by line the way settlement will price them
   * (one line per model, tools, charge, instance and volume, each hour rounded once, lines summed
   * over the open hours): the explanation of the `accumulating` row.
   */
  async openLines(workspaceId: string): Promise<LedgerResult<OpenLine[]>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    return { ok: true, replayed: false, value: openHourLines(state, this.store.rollupsFrom(state.open.settledThroughMs), Date.now()) };
  }

  /** A page of the raw events billed in `hourMs` (while they are inside the retention window). */
  async usageEvents(workspaceId: string, hourMs: number, afterId: string, limit: number): Promise<LedgerResult<StoredEvent[]>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    return { ok: true, replayed: false, value: this.store.eventsOfHour(hourMs, afterId, limit) };
  }

  /** Stored events and the bytes of this object's SQLite storage (the figures of `npm run bench`). */
  storageStats(): { events: number; bytes: number } {
    return { events: this.store.eventCount(), bytes: this.store.sizeBytes };
  }

  // --- metered resources ------------------------------------------------------------------------

  startResource(input: StartResourceInput): Promise<LedgerResult<ResourceView>> {
    return this.writes.submit(new StartResourceWrite(input));
  }

  stopResource(workspaceId: string, resourceId: string, stoppedAtMs: number | null, reason = 'stopped'): Promise<LedgerResult<ResourceView>> {
    return this.writes.submit(new StopResourceWrite(workspaceId, resourceId, stoppedAtMs, reason));
  }

  /** Changes a volume's size from `atMs` on: a new interval, so time already metered keeps its size. */
  resizeVolume(workspaceId: string, resourceId: string, sizeBytes: number, atMs: number | null): Promise<LedgerResult<ResourceView>> {
    return this.writes.submit(new ResizeVolumeWrite(workspaceId, resourceId, sizeBytes, atMs));
  }

  // --- hourly settlement ------------------------------------------------------------------------

  /**
   * Settles every closed hour before cutoffMs: one `usage` entry per hour with usage, exactly once.
   * The entry's idempotency key is the hour, and balances.settled_through_ms moves in the same
   * batch, so a second run, a duplicated message or a rerun after a crash finds nothing to do.
   */
  settle(workspaceId: string, cutoffMs: number): Promise<LedgerResult<{ settledHours: number; chargedMicros: number; forgivenMicros: number }>> {
    return this.queue.run(() => this.thenEnforce(workspaceId, settleNow(this.ledger, this.store, workspaceId, cutoffMs)));
  }

  // --- zero balance: enforcement and the alarm that predicts it -------------------------------

  /**
   * What the balance demands, acted on now (used by the alarm, and by tests to simulate it at a
   * given instant). Terminates and suspends at zero, restores storage above it, keeps the
   * low-balance flag in step, and re-arms the alarm.
   */
  checkBalance(workspaceId: string, atMs?: number): Promise<LedgerResult<{ alarmAtMs: number | null }>> {
    return this.queue.run(async () => {
      const state = await this.load(workspaceId);
      if (!state) return notFound;
      await refreshPrices(this.env, state);
      await this.enforcement.enforce(state, atMs ?? Date.now());
      return { ok: true, replayed: false, value: { alarmAtMs: this.enforcement.alarmAtMs } };
    });
  }

  /**
   * Deletes the stored events that have left the retention window (their hours are settled and
   * archived). Run by the alarm; answers how many went.
   */
  pruneEvents(workspaceId: string, nowMs?: number): Promise<LedgerResult<{ pruned: number }>> {
    return this.queue.run(async () => {
      const state = await this.load(workspaceId);
      if (!state) return notFound;
      return { ok: true, replayed: false, value: { pruned: pruneEventsNow(this.env, this.store, state, nowMs ?? Date.now()) } };
    });
  }

  override async alarm(): Promise<void> {
    this.enforcement.alarmAtMs = null;
    const workspaceId = await this.ctx.storage.get<string>('workspaceId');
    if (!workspaceId) return;
    await this.pruneEvents(workspaceId);
    await this.checkBalance(workspaceId);
  }

  /** Settings changed outside the object (auto-top-up, a saved card): reload and act on them. */
  reloadSettings(workspaceId: string): Promise<LedgerResult<null>> {
    return this.queue.run(async () => {
      this.state = null;
      const state = await this.load(workspaceId);
      if (!state) return notFound;
      await this.enforcement.enforce(state, Date.now());
      return { ok: true, replayed: false, value: null };
    });
  }

  // --- internals --------------------------------------------------------------------------------

  /** Runs after a mutation, in its queue turn: the mutation's answer stands whatever happens here. */
  private async thenEnforce<T>(workspaceId: string, mutation: Promise<LedgerResult<T>>): Promise<LedgerResult<T>> {
    const result = await mutation;
    if (!result.ok) return result;
    try {
      const state = await this.load(workspaceId);
      if (state) await this.enforcement.enforce(state, Date.now());
    } catch (error) {
      // The change itself is committed; enforcement runs again on the next change, the alarm or
      // the hourly cron.
      this.state = null;
      console.error(JSON.stringify({ level: 'error', msg: 'zero-balance enforcement failed; retrying in 30 s', workspaceId, error: String(error) }));
      await this.ctx.storage.setAlarm(Date.now() + 30_000).catch(() => undefined);
      this.enforcement.alarmAtMs = null;
    }
    return result;
  }

  private load(workspaceId: string): Promise<LedgerState | null> {
    if (this.state) {
      if (this.state.workspaceId !== workspaceId) throw new LedgerInvariantError('ledger object addressed with another workspace id');
      return Promise.resolve(this.state);
    }
    if (!this.loading) {
      this.loading = readLedgerState(this.env.DB, workspaceId, this.store, retentionCutoffMs(this.env, Date.now()))
        .then((state) => (this.state = state))
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }
}
