import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../../env';
import type { NormalizedEvent } from '../../usage/usage_event';
import { CloseDepositWrite, depositWithSavedCard, OpenDepositWrite } from '../writes/deposits';
import { WORKSPACE_ID_KEY, ZeroBalanceEnforcement, type AlarmPlan } from '../enforcement/enforcement';
import { EventStore, type StoredEvent, type StoredRollup } from '../usage/event_store';
import { UsageIngestion } from '../usage/ingestion';
import { openHourLines, type OpenLine } from '../usage/open_lines';
import { notFound, refreshPrices, type LedgerContext } from '../state/ledger_context';
import { withInjectedD1Latency } from './d1_latency';
import { withSimulatedPaymentFaults } from './sim_payment_faults';
import { EntryWrite } from '../writes/entry_writes';
import { LedgerGroupCommit } from '../writes/group_commit';
import { ledgerUnavailable, type LedgerResult } from '../ledger_result';
import type { AutoTopupSettingsInput, BurnBreakdown, CloseDepositInput, CreditSummary, DefaultCardInput, IngestResult, OpenDepositInput, PostEntryInput, SavedCardDepositInput } from '../ledger_types';
import { saveAutoTopupNow, saveDefaultCardNow } from './settings';
import { saveAlertsNow } from '../enforcement/alerts/save_alerts';
import type { AlertSettings } from '../enforcement/alerts/alert_rules';
import { LedgerInvariantError, type LedgerState } from '../state/ledger_state';
import { readLedgerState, readLedgerStateWith } from './load_state';
import { LedgerReads } from './reads';
import { ResizeVolumeWrite, StartResourceWrite, StopResourceWrite } from '../writes/resources';
import type { ResourceView, StartResourceInput } from '../resource_view';
import { SerialQueue } from '../state/serial_queue';
import { EntryJournal } from '../writes/entry_journal';
import { EntryProjector } from '../writes/entry_projector';
import { backfillKeyIndex } from '../writes/entry_keys_backfill';
import { backfillBlocks } from '../rules/blocks/backfill_blocks';
import { enforcementMayWriteD1 } from '../enforcement/enforcement_quiet';
import { pruneEventsNow, settleNow, type SettleResult } from '../usage/settlement';
import { SettlementSchedule } from '../usage/settlement_alarm';
import { hourOf } from '../../usage/exact_cost';
import { directoryDb, shardHandle, shardNameOf, type LedgerShard } from '../../storage/databases';
import { primaryBookmark } from '../../storage/read_session';
import type { TransactionView } from '../transaction_view';
import { ExpireWrite, GrantWrite, type BlockAndTransaction, type GrantInput } from '../rules/blocks/grant_writes';
import { toCreditBlockView, type CreditBlockView } from '../rules/blocks/credit_block';
import { readGrantBlock } from '../rules/blocks/read_blocks';
import { nothingOpen } from '../rules/blocks/expiry';
import { commitGroup } from '../writes/group_commit';
import { HoldsDesk } from '../rules/holds/holds_desk';
import type { HoldView } from '../rules/holds/hold_book';
import type { CreateHoldInput } from '../rules/holds/hold_writes';
import type { LimitPeriod } from '../rules/limits/periods';
import type { SpendLimitView } from '../rules/limits/spend_tracker';
import { HomeLeases } from '../../regions/home_leases';
import type { LeaseAnswer, LeaseExchange } from '../../regions/lease_protocol';
import type { PaymentsPort } from '../payments_port';

/**
 * The only writer of one workspace's money. Holds the settled balance, the unsettled usage and the
 * price list in memory, so that credit checks need no D1 round trip; applies mutations one at a
 * time through an explicit queue (the input gate does not hold across awaits on D1); makes each
 * one a single atomic D1 batch whose balance update is guarded by the value it expected. If the
 * cache and D1 ever disagree, the batch fails, nothing is written, and the cache is rebuilt.
 *
 * The object owns the cached state and the queue; each concern lives in its own module (reads,
 * group_commit with entry_writes, deposits, ingestion, resources, settlement, enforcement, auto_recharge) and
 * reaches the state only through the LedgerContext below. It reaches the card network only through
 * the payments port the Worker's entry hands it (workers/index.ts), never by importing Stripe.
 */
export abstract class WorkspaceLedger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    // The object's D1 handle: unchanged, unless the benchmark's server injects a round-trip delay.
    super(ctx, withInjectedD1Latency(env, ctx));
  }

  /** The card network (payments_port.ts): given by the entry's subclass, so the ledger imports no payment processor. */
  protected abstract paymentsPort(): PaymentsPort;

  private readonly queue = new SerialQueue();
  private state: LedgerState | null = null;
  private loading: Promise<LedgerState | null> | null = null;

  /** This workspace's ledger shard, resolved on the first load (see resolveShard). */
  private shard: LedgerShard | null = null;

  private readonly ledger: LedgerContext = (() => {
    const env = this.env;
    const shard = () => {
      if (!this.shard) throw new LedgerInvariantError('the ledger shard is used before the workspace was loaded');
      return this.shard;
    };
    return {
      env,
      get db() {
        return shard().db;
      },
      get d1() {
        return shard().d1;
      },
      get directory() {
        return directoryDb(env);
      },
      payments: withSimulatedPaymentFaults(this.paymentsPort(), env, this.ctx),
      load: (workspaceId: string) => this.load(workspaceId),
      dropState: () => {
        this.state = null;
        this.desk.dropped(); // holds/limits: members' spend read again with the state
      },
      rememberKeys: (rows) => this.journal.index(rows),
    };
  })();
  /** Raw usage events and open-hour rollups, in this object's own SQLite storage. */
  private readonly store = new EventStore(this.ctx.storage);
  /** When the object wakes up to settle its closed hours, and the backoff after a failure. */
  private readonly settlement = new SettlementSchedule();
  /** Holds (in this object's SQLite) and members' spend limits (holds/holds_desk.ts). */
  private readonly desk: HoldsDesk = new HoldsDesk({
    ctx: this.ctx,
    env: this.env,
    ledger: this.ledger,
    queue: this.queue,
    store: this.store,
    writes: () => this.writes,
    projector: () => this.projector,
    enforcement: () => this.enforcement,
    state: () => this.state,
  });
  /** Regions' escrow leases: held here as holds, exchanged with the regional objects (regions/home_leases.ts). */
  private readonly leases: HomeLeases = new HomeLeases({ sql: this.ctx.storage.sql, env: this.env, ledger: this.ledger, writes: () => this.writes, desk: this.desk });
  private readonly enforcement = new ZeroBalanceEnforcement(this.ledger, this.ctx.storage, this.store, this.settlement, () => this.desk.holds.earliestExpiryMs);
  private readonly reads = new LedgerReads(this.ledger, this.ctx, (workspaceId) => this.checkBalance(workspaceId), this.desk.spend);
  private readonly ingestion = new UsageIngestion(this.ledger, this.queue, this.store, (workspaceId) => {
    this.desk.usageArrived(); // holds/limits: a member may have reached their limit
    return this.thenEnforce(workspaceId, Promise.resolve({ ok: true, replayed: false, value: null }));
  });

  /** Deductions and adjustments, durable here first (entry_journal.ts), and what sends them to D1 in order. */
  private readonly journal = new EntryJournal(this.ctx.storage);
  private readonly projector = new EntryProjector(
    this.journal,
    () => this.shardD1FromStorage(),
    async () => this.state?.workspaceId ?? (await this.ctx.storage.get<string>(WORKSPACE_ID_KEY)) ?? null,
    () => this.journalEmptied(),
  );
  /** True while the alarm is armed sooner than enforcement planned it, for the journal's sake. */
  private alarmForJournalArmed = false;
  /** Pending while the journal is empty for a moment (journalEmptied). */
  private quietTimer: ReturnType<typeof setTimeout> | null = null;

  /** Every money write (entries, deposits, resources) goes through this group commit. */
  private readonly writes = new LedgerGroupCommit(
    this.ledger,
    this.queue,
    (workspaceId) => this.thenEnforce(workspaceId, Promise.resolve({ ok: true, replayed: false, value: null })),
    { journal: this.journal, projector: this.projector, journaled: () => this.alarmForJournal() },
  );

  // --- reads: answered from memory once loaded --------------------------------------------------

  creditCheck(workspaceId: string, amountMicros: number, memberId?: string): Promise<LedgerResult<{ allowed: boolean; balanceMicros: number; reason?: 'insufficient_credits' | 'spend_limit' }>> {
    this.desk.expireDue();
    return this.reads.creditCheck(workspaceId, amountMicros, memberId);
  }

  creditSummary(workspaceId: string): Promise<LedgerResult<CreditSummary>> {
    this.desk.expireDue();
    return this.reads.creditSummary(workspaceId);
  }

  /** The burn rate split into what runs now (listed with rates) and recent event usage (the dashboard). */
  burnBreakdown(workspaceId: string): Promise<LedgerResult<BurnBreakdown>> {
    return this.reads.burnBreakdown(workspaceId);
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
    // A deduction takes only what holds leave, within its member's spend limit (holds/spend_controls.ts).
    return this.writes.submit(new EntryWrite(input, input.kind === 'deduction' ? this.desk.spend.deductionHooks(input.memberId) : undefined));
  }

  // --- holds and spend limits (holds/holds_desk.ts) -----------------------------------------------

  /**
   * Reserves credits: granted only if the balance less what is held covers it (and the member's
   * limit does), decided in the group commit beside deductions, durable in this object's SQLite
   * before the answer. The same id and body answers the hold as it stands; another body is a 409.
   */
  createHold(input: CreateHoldInput): Promise<LedgerResult<HoldView>> {
    return this.desk.createHold(input);
  }

  /**
   * Charges `amountMicros` for a hold as one `usage` entry through the same path as a deduction
   * (as far as the balance covers it, the rest forgiven) and frees the rest; 0 releases it.
   * Idempotent: the same amount answers the original; another amount is a 409.
   */
  captureHold(workspaceId: string, holdId: string, amountMicros: number): Promise<LedgerResult<{ hold: HoldView; transaction: TransactionView | null }>> {
    return this.desk.captureHold(workspaceId, holdId, amountMicros);
  }

  /** Frees a hold: idempotent; a captured hold is 409 hold_closed. */
  releaseHold(workspaceId: string, holdId: string): Promise<LedgerResult<HoldView>> {
    return this.desk.releaseHold(workspaceId, holdId);
  }

  /** The active holds, oldest first. */
  listHolds(workspaceId: string): Promise<LedgerResult<HoldView[]>> {
    return this.desk.listHolds(workspaceId);
  }

  /** Members' spend limits with their spend this period: one member's, or (null) every limited member's. */
  spendLimits(workspaceId: string, memberId: string | null): Promise<LedgerResult<SpendLimitView[]>> {
    return this.desk.spendLimits(workspaceId, memberId);
  }

  /**
   * Sets (or, with null, removes) a member's spend limit; answers it with this period's spend, once
   * every region holding a lease has been told (regions send limited members' requests home).
   */
  async setSpendLimit(workspaceId: string, memberId: string, limit: { limitMicros: number; period: LimitPeriod } | null): Promise<LedgerResult<SpendLimitView | null>> {
    const result = await this.desk.setSpendLimit(workspaceId, memberId, limit);
    if (result.ok) await this.leases.recallAll(workspaceId);
    return result;
  }

  // --- regions: escrow leases (workers/regions/) --------------------------------------------------

  /** Does nothing: called once at the workspace's creation so that the object is created in its home region. */
  placed(): null {
    return null;
  }

  /** A region reports its spends (recorded once each) and gives back or asks for lease. */
  leaseExchange(input: LeaseExchange): Promise<LedgerResult<LeaseAnswer>> {
    return this.leases.exchange(input);
  }

  // --- credit blocks: grants, voids, the open blocks -------------------------------------------

  /** A grant: a `grant` entry and its credit block, once per grant id (blocks/grant_writes.ts). */
  async grant(input: GrantInput): Promise<LedgerResult<BlockAndTransaction>> {
    const result = await this.writes.submit(new GrantWrite(input));
    if (!result.ok) return result;
    const { block, ...transaction } = result.value;
    if (block) return { ok: true, replayed: result.replayed, value: { block, transaction } };
    // A replay: the block as it stands now.
    const state = await this.load(input.workspaceId);
    const open = state?.blocks.ofGrant(input.grantId);
    const found = open ?? (await readGrantBlock(this.ledger.d1, input.workspaceId, input.grantId));
    if (!found) return { ok: false, code: 'internal_error', message: `grant ${input.grantId} has an entry but no credit block` };
    return { ok: true, replayed: true, value: { block: toCreditBlockView(found), transaction } };
  }

  /** Removes what is left of a grant now (an `expiration`); a second void answers the first one's. */
  async voidGrant(workspaceId: string, grantId: string): Promise<LedgerResult<BlockAndTransaction>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    const block = state.blocks.ofGrant(grantId) ?? (await readGrantBlock(this.ledger.d1, workspaceId, grantId));
    if (!block) return { ok: false, code: 'not_found', message: 'No such grant.' };
    const result = await this.writes.submit(new ExpireWrite(workspaceId, { block, voided: true }));
    if (!result.ok) return result;
    if (!result.value) return { ok: false, code: 'internal_error', message: `the void of grant ${grantId} recorded nothing` };
    return { ok: true, replayed: result.replayed, value: result.value };
  }

  /** The open credit blocks, in the order they are spent (from memory). */
  async creditBlocks(workspaceId: string): Promise<LedgerResult<CreditBlockView[]>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    return { ok: true, replayed: false, value: state.blocks.list.map(toCreditBlockView) };
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
   * it, the event id is recorded in the directory once the shard batch committed.
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
  async usageEvents(workspaceId: string, hourMs: number, afterSeq: number, limit: number): Promise<LedgerResult<StoredEvent[]>> {
    const state = await this.load(workspaceId);
    if (!state) return notFound;
    return { ok: true, replayed: false, value: this.store.eventsOfHour(hourMs, afterSeq, limit) };
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
   * Called by the object's own alarm (settlement_alarm.ts) and by the cron's queue (the backstop);
   * both go through the object's queue, so they never overlap.
   */
  settle(workspaceId: string, cutoffMs: number): Promise<LedgerResult<SettleResult>> {
    return this.queue.run(async () => {
      await this.projector.drained();
      // holds/limits: the closing hours' usage stays in the members' spend once settled.
      const result = await this.desk.settling(cutoffMs, () => settleNow(this.ledger, this.store, workspaceId, cutoffMs, this.state === null));
      if (result.ok) this.settlement.succeeded();
      return this.thenEnforce(workspaceId, Promise.resolve(result));
    });
  }

  // --- zero balance: enforcement and the alarm that predicts it -------------------------------

  /**
   * What the balance demands, acted on now (used by the alarm, and by tests to simulate it at a
   * given instant). Terminates and suspends at zero, restores storage above it, keeps the
   * low-balance flag in step, and re-arms the alarm.
   */
  checkBalance(workspaceId: string, atMs?: number): Promise<LedgerResult<AlarmPlan>> {
    return this.queue.run(async () => {
      const loadedNow = this.state === null;
      const state = await this.load(workspaceId);
      if (!state) return notFound;
      // A state read from D1 in this turn has just read the prices.
      if (!loadedNow) await refreshPrices(this.env, state);
      await this.enforce(state, atMs ?? Date.now());
      return { ok: true, replayed: false, value: this.enforcement.plan };
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

  /**
   * The object's one alarm: settles every closed hour (those before the current one), prunes,
   * enforces what the balance demands, and re-arms for the earliest of the next settlement, the
   * predicted zero crossing and the next pruning. A failed settlement is logged and retried with
   * backoff; the hourly cron covers it meanwhile.
   */
  override async alarm(): Promise<void> {
    this.enforcement.alarmAtMs = null;
    // Holds whose time has come are expired first (holds/); the plan below re-arms for the next.
    this.desk.expireDue();
    const workspaceId = await this.ctx.storage.get<string>(WORKSPACE_ID_KEY);
    if (!workspaceId) return;
    try {
      const settled = await this.settle(workspaceId, hourOf(Date.now()));
      // Settled, pruned, enforced and re-armed in its queue turn, with freshly read prices.
      if (settled.ok && settled.value.settledHours > 0) return;
    } catch (error) {
      const retryAtMs = this.settlement.failed(Date.now());
      this.state = null;
      console.error(JSON.stringify({ level: 'error', msg: 'settlement by alarm failed; retrying', workspaceId, retryAt: new Date(retryAtMs).toISOString(), error: String(error) }));
      // Armed for the retry before anything else may fail; the enforcement below re-arms for the
      // earliest of this and what the balance demands.
      await this.ctx.storage.setAlarm(retryAtMs);
      this.enforcement.alarmAtMs = retryAtMs;
    }
    await this.pruneEvents(workspaceId);
    await this.checkBalance(workspaceId);
  }

  // --- settings it caches: written only here, then acted on ------------------------------------

  /** Auto-top-up settings; a balance already below the new threshold recharges at once. */
  saveAutoTopup(workspaceId: string, settings: AutoTopupSettingsInput): Promise<LedgerResult<null>> {
    return this.queue.run(async () => {
      await this.projector.drained();
      return this.thenEnforce(workspaceId, saveAutoTopupNow(this.ledger, workspaceId, settings));
    });
  }

  /** Alert settings (PUT /v1/billing/alerts); the rules act on them at once (alerts/). */
  saveAlerts(workspaceId: string, settings: AlertSettings): Promise<LedgerResult<null>> {
    return this.queue.run(async () => {
      await this.projector.drained();
      return this.thenEnforce(workspaceId, saveAlertsNow(this.ledger, workspaceId, settings, Date.now()));
    });
  }

  /** The default card copied from Stripe (what auto-recharge and saved-card top-ups charge). */
  saveDefaultCard(input: DefaultCardInput): Promise<LedgerResult<null>> {
    return this.queue.run(async () => {
      await this.projector.drained();
      return this.thenEnforce(input.workspaceId, saveDefaultCardNow(this.ledger, input));
    });
  }

  // --- internals --------------------------------------------------------------------------------

  /** Runs after a mutation, in its queue turn: the mutation's answer stands whatever happens here. */
  private async thenEnforce<T>(workspaceId: string, mutation: Promise<LedgerResult<T>>): Promise<LedgerResult<T>> {
    const result = await mutation;
    if (!result.ok) return result;
    try {
      const state = await this.load(workspaceId);
      if (state) await this.enforce(state, Date.now());
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

  /**
   * Zero-balance enforcement on the state. When the balance demands an action it may write to D1
   * (terminations, flags, an auto-recharge): then D1 must hold every journaled entry first.
   */
  private async enforce(state: LedgerState, atMs: number): Promise<void> {
    await this.expireDue(state, atMs);
    if (!this.journal.empty && enforcementMayWriteD1(state, atMs, this.env)) await this.projector.drained();
    await this.enforcement.enforce(state, atMs);
    // Enforcement arms the alarm for what the balance needs; a journal still to project needs it sooner.
    if (!this.journal.empty) await this.alarmForJournal();
  }

  /**
   * Blocks whose expiresAt has come, while nothing of the workspace's usage is open: their remainders
   * are removed now (the alarm is armed for the soonest expiresAt, see enforcement.ts). With usage
   * open, the settlement of the hour containing expiresAt removes them instead (settle_blocks.ts).
   * Runs in the queue turn, before enforcement acts on the balance it leaves.
   */
  private async expireDue(state: LedgerState, atMs: number): Promise<void> {
    const next = state.blocks.nextExpiry();
    if (!next || next.atMs > atMs || !nothingOpen(state.open)) return;
    const due = state.blocks.list.filter((b) => b.expiresAtMs !== null && b.expiresAtMs <= atMs);
    // Its batch expects D1 to hold the balance the object holds.
    await this.projector.drained();
    await commitGroup(
      this.ledger,
      due.map((block) => new ExpireWrite(state.workspaceId, { block, voided: false })),
    );
  }

  /**
   * Journaled entries must reach D1 even if this object is evicted before its projector is done and
   * no call wakes it: the object's one alarm is brought forward to JOURNAL_ALARM_MS from now (the
   * alarm projects first; enforcement re-arms it as it needs).
   */
  private async alarmForJournal(): Promise<void> {
    const dueMs = Date.now() + JOURNAL_ALARM_MS;
    const armed = this.enforcement.alarmAtMs;
    if (armed !== null && armed <= dueMs) return;
    this.alarmForJournalArmed = true;
    await this.ctx.storage.setAlarm(dueMs);
    this.enforcement.alarmAtMs = dueMs;
  }

  /**
   * The journal is empty: a moment later (if it still is), the projected groups are deleted from
   * SQLite and the alarm goes back to what enforcement last planned. Under a steady flow of
   * deductions the journal empties after nearly every group; doing both at once cost three storage
   * writes per group (the next group deletes the projected ones in its own append, and finds the
   * alarm still armed for it). An alarm that fires meanwhile finds nothing to project and re-arms
   * for what enforcement plans.
   */
  private async journalEmptied(): Promise<void> {
    if (this.quietTimer) return;
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null;
      this.journalQuiet().catch((error: unknown) =>
        console.error(JSON.stringify({ level: 'error', msg: 'could not tidy up after the journal emptied; the alarm may fire early', error: String(error) })),
      );
    }, JOURNAL_QUIET_MS);
  }

  /** Does what waits for the journal to stay empty now (readers that look at storage or the alarm next). */
  private async journalQuietNow(): Promise<void> {
    if (!this.quietTimer) return;
    clearTimeout(this.quietTimer);
    this.quietTimer = null;
    await this.journalQuiet();
  }

  private async journalQuiet(): Promise<void> {
    if (!this.journal.empty) return;
    this.journal.compact();
    await this.restoreAlarm();
  }

  /** The alarm goes back to what enforcement last planned, if the journal had brought it forward. */
  private async restoreAlarm(): Promise<void> {
    if (!this.alarmForJournalArmed || !this.journal.empty) return;
    this.alarmForJournalArmed = false;
    const plannedMs = this.enforcement.plan.alarmAtMs;
    if (this.enforcement.alarmAtMs !== plannedMs) {
      if (plannedMs === null) await this.ctx.storage.deleteAlarm();
      else await this.ctx.storage.setAlarm(plannedMs);
      this.enforcement.alarmAtMs = plannedMs;
    }
    // A group journaled while the alarm was being restored needs it again.
    if (!this.journal.empty) await this.alarmForJournal();
  }

  /**
   * Readers of the workspace's D1 ledger (history, a transaction by id, exports, the dashboard's
   * series) call this first: it answers once every entry answered so far is in D1.
   */
  async projected(): Promise<LedgerResult<null>> {
    try {
      if (!this.journal.empty) await this.projector.drained();
    } catch (error) {
      // D1 contradicts the journal (the projector logged why): readers must not trust D1.
      if (error instanceof LedgerInvariantError) return ledgerUnavailable;
      throw error;
    }
    await this.journalQuietNow();
    return { ok: true, replayed: false, value: null };
  }

  /**
   * For reads from a replica (docs/regions.md "Reads near the caller"): once every entry answered
   * so far is in D1 (projected()), a D1 bookmark taken on the primary after it. A session started
   * from it sees all of them, whichever replica serves it. Null: the workspace has no shard.
   */
  async projectedBookmark(workspaceId: string): Promise<LedgerResult<string | null>> {
    const done = await this.projected();
    if (!done.ok) return done;
    const name = await shardNameOf(this.env, workspaceId);
    if (!name) return { ok: true, replayed: false, value: null };
    const bookmark = await primaryBookmark(shardHandle(this.env, name).d1, 'SELECT projected_journal_seq FROM balances WHERE workspace_id = ?1', workspaceId);
    return { ok: true, replayed: false, value: bookmark };
  }

  /**
   * The journal seq of the last group answered so far (0: none ever). A reader that asks this at the
   * same time as it reads D1 (balances.projected_journal_seq in the same read) knows its rows hold
   * every entry answered before it asked when D1's seq is at least this; else it calls projected().
   */
  answeredSeq(): number {
    return this.journal.answeredSeq;
  }

  /** The shard's D1 for the projector: known once loaded, or (after an eviction) from this object's storage. */
  private async shardD1FromStorage(): Promise<D1Database | null> {
    if (this.shard) return this.shard.d1;
    const name = await this.ctx.storage.get<string>(SHARD_KEY);
    if (!name) return null;
    this.shard = shardHandle(this.env, name);
    return this.shard.d1;
  }

  private load(workspaceId: string): Promise<LedgerState | null> {
    if (this.state) {
      if (this.state.workspaceId !== workspaceId) throw new LedgerInvariantError('ledger object addressed with another workspace id');
      return Promise.resolve(this.state);
    }
    if (!this.loading) {
      this.loading = this.resolveShard(workspaceId)
        .then(async (shard) => {
          if (!shard) return null;
          // D1 holds the balance only once every journaled entry is in it (a previous life of the
          // object may have left some); the key index learns D1's caller keys once.
          await this.projector.drained();
          if (!this.journal.backfilled) await backfillKeyIndex(shard.db, workspaceId, this.journal);
          // holds/limits: the members' spend read in the same shard batch as the balance.
          const { state, alongside: spendRows } = await readLedgerStateWith(shard.d1, this.env.DB, workspaceId, this.store, this.desk.spendReading(shard.d1, workspaceId));
          if (!state) return state;
          let ready = state;
          if (!state.blocksReady) {
            // Credit from before blocks existed becomes blocks once (blocks/backfill_blocks.ts).
            await backfillBlocks(shard.d1, workspaceId);
            const rebuilt = await readLedgerState(shard.d1, this.env.DB, workspaceId, this.store);
            if (!rebuilt || !rebuilt.blocksReady) throw new LedgerInvariantError(`credit blocks of ${workspaceId} could not be made`);
            ready = rebuilt;
          }
          this.desk.loaded(ready, spendRows);
          return ready;
        })
        .then((state) => (this.state = state))
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }

  /**
   * The workspace's ledger shard: read from the directory once, then kept in this object's storage
   * (a workspace never moves, so it is never read again, even after the object is rebuilt). Null
   * when the directory does not know the workspace.
   */
  private async resolveShard(workspaceId: string): Promise<LedgerShard | null> {
    if (this.shard) return this.shard;
    // With the workspace id its alarm needs, in one read: once both are stored, a rebuilt object
    // (an alarm, a queue message) writes neither again.
    const stored = await this.ctx.storage.get<string>([SHARD_KEY, WORKSPACE_ID_KEY]);
    let name = stored.get(SHARD_KEY);
    if (!name) {
      name = (await shardNameOf(this.env, workspaceId)) ?? undefined;
      if (!name) return null;
      // The workspace id too: the alarm and the journal's projector need it after an eviction.
      await this.ctx.storage.put({ [SHARD_KEY]: name, [WORKSPACE_ID_KEY]: workspaceId });
    } else if (stored.get(WORKSPACE_ID_KEY) !== workspaceId) {
      // An object from before the journal may have kept only its shard.
      await this.ctx.storage.put(WORKSPACE_ID_KEY, workspaceId);
    }
    this.enforcement.workspaceIdFound();
    this.shard = shardHandle(this.env, name);
    return this.shard;
  }
}

/** Where this object keeps its shard's binding name (in its own storage). */
const SHARD_KEY = 'ledgerShard';
/** How soon the alarm projects a journal that an evicted object left behind. */
const JOURNAL_ALARM_MS = 10_000;
/** How long the journal stays empty before its projected groups are deleted and the alarm restored. */
const JOURNAL_QUIET_MS = 1_000;
