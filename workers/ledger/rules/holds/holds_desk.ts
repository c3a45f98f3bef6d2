// What the WorkspaceLedger object does for holds and spend limits, kept here so that the object
// holds only one-line delegates: holds made, captured, released and listed through its group commit;
// members' limits read and set; their spend tracked in memory (limits/spend_tracker.ts) from the
// object's load, its settlements and its usage; `spend_limit.reached` sent once per member per period.
import type { Env } from '../../../env';
import { insertOutbox, outboxEvent } from '../../../notifications/outbox';
import { EntryWrite } from '../../writes/entry_writes';
import type { EntryProjector } from '../../writes/entry_projector';
import type { ZeroBalanceEnforcement } from '../../enforcement/enforcement';
import type { EventStore } from '../../usage/event_store';
import type { LedgerGroupCommit } from '../../writes/group_commit';
import { notFound, type LedgerContext } from '../../state/ledger_context';
import { ledgerUnavailable, type LedgerResult } from '../../ledger_result';
import type { LedgerState } from '../../state/ledger_state';
import { sendNotifications } from '../../state/send_notifications';
import type { SerialQueue } from '../../state/serial_queue';
import type { TransactionView } from '../../transaction_view';
import { LimitNotices } from '../limits/limit_notices';
import { readSpendRows, saveLimitStatement, spendRowsFrom, spendStatements, type SpendRows } from '../limits/load_spend';
import type { AlongsideRead } from '../../object/load_state';
import { periodStartMs, type LimitPeriod } from '../limits/periods';
import { SpendTracker, type SpendLimitView } from '../limits/spend_tracker';
import { HoldBook, holdView, type HoldView } from './hold_book';
import { holdEntryKey } from './hold_keys';
import { CloseHoldWrite, CreateHoldWrite, type CreateHoldInput } from './hold_writes';
import { captured, SpendControls } from './spend_controls';
import { isLeaseHoldId } from '../../../regions/lease_protocol';

/** What the desk uses of the object (its own parts, shared with the object's other concerns). */
export interface HoldsDeskParts {
  ctx: DurableObjectState;
  env: Env;
  ledger: LedgerContext;
  queue: SerialQueue;
  store: EventStore;
  writes: () => LedgerGroupCommit;
  projector: () => EntryProjector;
  enforcement: () => ZeroBalanceEnforcement;
  /** The object's cached state (null when not loaded). */
  state: () => LedgerState | null;
}

export class HoldsDesk {
  readonly holds: HoldBook;
  readonly spend: SpendControls;
  private readonly notices: LimitNotices;

  constructor(private readonly parts: HoldsDeskParts) {
    this.holds = new HoldBook(parts.ctx.storage.sql);
    this.notices = new LimitNotices(parts.ctx.storage.sql);
    this.spend = new SpendControls(this.holds, (memberIds) => this.limitReached(memberIds));
  }

  // --- hooks the object calls ----------------------------------------------------------------------

  /** Holds whose time has come are expired (cheap when none is due). */
  expireDue(): void {
    this.holds.expireDue(Date.now());
  }

  /** The members' spend, read in the same shard batch as the object's balance when it loads. */
  spendReading(shard: D1Database, workspaceId: string): AlongsideRead<SpendRows> {
    const fromMs = periodStartMs('month', this.spend.clock());
    return { statements: spendStatements(shard, workspaceId, fromMs), read: (results) => spendRowsFrom(results, fromMs) };
  }

  /** The members' spend on its own (a reload of what limits enforce). */
  readSpendRows(shard: D1Database, workspaceId: string): Promise<SpendRows> {
    return readSpendRows(shard, workspaceId, periodStartMs('month', this.spend.clock()));
  }

  /** The object's state was loaded: the members' spend with it. */
  loaded(state: LedgerState, rows: SpendRows): void {
    this.spend.tracker = this.trackerOf(state, rows);
  }

  /** The object's state was dropped: the spend is read again with it. */
  dropped(): void {
    this.spend.tracker = null;
  }

  /** Usage arrived: a member may have reached their limit. */
  usageArrived(): void {
    this.spend.tracker?.usageChanged();
    this.spend.checkAllReached();
  }

  /**
   * Settles through `settle` (the object's settlement, in its queue turn), keeping the closing hours'
   * usage per limited member: the tracker that saw them close adds them; one rebuilt meanwhile (a
   * state loaded during settlement) reads them again from D1, which holds them now.
   */
  async settling<R extends LedgerResult<{ settledHours: number }>>(cutoffMs: number, settle: () => Promise<R>): Promise<R> {
    const tracker = this.parts.state() ? this.spend.tracker : null;
    const closing = tracker?.closingHours(cutoffMs);
    const result = await settle();
    const state = this.parts.state();
    if (result.ok && result.value.settledHours > 0 && state && this.spend.tracker && !this.spend.tracker.empty) {
      if (closing && this.spend.tracker === tracker) tracker.settled(closing);
      else await this.reloadSpend(state);
    }
    return result;
  }

  // --- the object's RPC methods --------------------------------------------------------------------

  async createHold(input: CreateHoldInput): Promise<LedgerResult<HoldView>> {
    this.expireDue();
    const result = await this.parts.writes().submit(new CreateHoldWrite(input, this.spend));
    // Holds write nothing to D1, so no enforcement re-plans the alarm after one: it must expire it.
    if (result.ok && !result.replayed && result.value.status === 'held') await this.parts.enforcement().wakeBy(Date.parse(result.value.expiresAt));
    return result;
  }

  async captureHold(workspaceId: string, holdId: string, amountMicros: number): Promise<LedgerResult<{ hold: HoldView; transaction: TransactionView | null }>> {
    this.expireDue();
    const writes = this.parts.writes();
    if (amountMicros === 0) {
      const released = await writes.submit(new CloseHoldWrite(workspaceId, holdId, 'capture_zero', this.spend));
      return released.ok ? { ...released, value: { hold: released.value, transaction: null } } : released;
    }
    const hold = this.holds.get(holdId);
    if (!hold || hold.workspaceId !== workspaceId) return { ok: false, code: 'not_found', message: 'No such hold.' };
    const entry = await writes.submit(
      new EntryWrite(
        { kind: 'capture', workspaceId, id: holdEntryKey(holdId), amountMicros, description: hold.description ?? `Hold ${holdId}`, memberId: hold.memberId },
        this.spend.captureHooks(holdId, workspaceId, amountMicros),
      ),
    );
    if (!entry.ok) return entry;
    let after = this.holds.get(holdId)!;
    if (after.status !== 'captured') {
      // A replay of a capture whose hold was not closed (an eviction between the two writes): closed now.
      after = captured(after, amountMicros, { id: entry.value.id, createdAtMs: Date.parse(entry.value.createdAt) });
      this.holds.close(after);
    }
    return { ok: true, replayed: entry.replayed, value: { hold: holdView(after), transaction: entry.value } };
  }

  releaseHold(workspaceId: string, holdId: string): Promise<LedgerResult<HoldView>> {
    this.expireDue();
    return this.parts.writes().submit(new CloseHoldWrite(workspaceId, holdId, 'release', this.spend));
  }

  async listHolds(workspaceId: string): Promise<LedgerResult<HoldView[]>> {
    const state = await this.parts.ledger.load(workspaceId);
    if (!state) return notFound;
    this.expireDue();
    // Regions' escrow leases are kept as holds (workers/regions/), but they are not the caller's.
    return { ok: true, replayed: false, value: this.holds.activeHolds().filter((h) => !isLeaseHoldId(h.id)).map(holdView) };
  }

  async spendLimits(workspaceId: string, memberId: string | null): Promise<LedgerResult<SpendLimitView[]>> {
    const state = await this.parts.ledger.load(workspaceId);
    if (!state) return notFound;
    this.expireDue();
    const tracker = this.spend.tracker;
    if (!tracker) return ledgerUnavailable;
    const nowMs = this.spend.clock();
    const members = memberId === null ? [...tracker.limits.keys()].sort() : [memberId];
    return { ok: true, replayed: false, value: members.flatMap((m) => tracker.view(m, nowMs) ?? []) };
  }

  setSpendLimit(workspaceId: string, memberId: string, limit: { limitMicros: number; period: LimitPeriod } | null): Promise<LedgerResult<SpendLimitView | null>> {
    return this.parts.queue.run(async () => {
      const state = await this.parts.ledger.load(workspaceId);
      if (!state) return notFound;
      await saveLimitStatement(this.parts.ledger.d1, workspaceId, memberId, limit, Date.now()).run();
      const tracker = await this.reloadSpend(state);
      return { ok: true, replayed: false, value: tracker.view(memberId, this.spend.clock()) };
    });
  }

  // --- internals -----------------------------------------------------------------------------------

  /** `spend_limit.reached`, once per member per period (remembered in the object's SQLite), through the outbox. */
  private limitReached(memberIds: string[]): void {
    const tracker = this.spend.tracker;
    const state = this.parts.state();
    if (!tracker || !state) return;
    const nowMs = this.spend.clock();
    const events = memberIds.flatMap((memberId) => {
      const limit = tracker.limits.get(memberId);
      if (!limit) return [];
      const startMs = periodStartMs(limit.period, nowMs);
      if (!this.notices.claim(memberId, startMs, Date.now())) return [];
      const view = tracker.view(memberId, nowMs)!;
      return [{ memberId, startMs, event: outboxEvent('spend_limit.reached', { ...view, periodStart: new Date(startMs).toISOString() }) }];
    });
    if (events.length === 0) return;
    const { ledger, env, ctx } = this.parts;
    const workspaceId = state.workspaceId;
    // A notification, not money: put in the outbox after the answer; unclaimed if that fails, so the next occasion sends it.
    ctx.waitUntil(
      (async () => {
        try {
          await insertOutbox(ledger.db, workspaceId, events.map((e) => e.event), Date.now());
        } catch (error) {
          for (const e of events) this.notices.unclaim(e.memberId, e.startMs);
          console.error(JSON.stringify({ level: 'error', msg: 'spend_limit.reached not recorded; sent on the next occasion', workspaceId, error: String(error) }));
          return;
        }
        await sendNotifications(env, events.map((e) => e.event));
      })(),
    );
  }

  /** The members' spend read again from D1 (in a queue turn, once D1 holds every journaled entry). */
  private async reloadSpend(state: LedgerState): Promise<SpendTracker> {
    await this.parts.projector().drained();
    const tracker = this.trackerOf(state, await this.readSpendRows(this.parts.ledger.d1, state.workspaceId));
    this.spend.tracker = tracker;
    return tracker;
  }

  private trackerOf(state: LedgerState, rows: SpendRows): SpendTracker {
    return SpendTracker.fromRows(rows, {
      settledThroughMs: () => state.open.settledThroughMs,
      openRollups: () => this.parts.store.rollupsFrom(state.open.settledThroughMs),
      openIntervals: () => state.open.intervals,
      book: () => state.book,
      memberHeldMicros: (memberId, view) => (view ? this.holds.memberHeldIn(view, memberId) : this.holds.memberHeldMicros(memberId)),
    });
  }
}
