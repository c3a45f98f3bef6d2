import type { resources } from '../../../schema/tables';
import type { IntervalRow } from '../../usage/price_hour';
import { spendableFrom } from '../state/ledger_context';
import type { LedgerState } from '../state/ledger_state';
import type { TransactionRow } from '../transaction_view';
import { BlockDraws } from '../rules/blocks/block_draws';

export type ResourceRow = typeof resources.$inferSelect;

/** What a group read from D1 before deciding: ledger entries by idempotency key, resources by id. */
export interface GroupFound {
  entries: Map<string, TransactionRow>;
  resources: Map<string, ResourceRow>;
}

/**
 * The workspace as a group's writes see it while they are decided one after another: the cached
 * state plus what the earlier writes of the same group did (balance moved, entries written or
 * closed, resources started, stopped or resized). The cached state itself is not touched: the
 * batch may still fail. Once it is durable, `applyTo` carries the view over to the state.
 */
export class GroupView {
  balanceMicros: number;
  /** Ledger entries by idempotency key: read from D1, or written by an earlier write of the group. */
  readonly entries: Map<string, TransactionRow>;
  readonly resources: Map<string, ResourceRow>;
  autoTopupFailures: number;
  autoTopupEnabled: boolean;
  /** The open credit blocks as the group's writes leave them (draws and new blocks). */
  blocks: BlockDraws;
  private intervals: IntervalRow[];
  private intervalsChanged = false;
  private accumulating: number | null = null;

  constructor(
    readonly state: LedgerState,
    readonly nowMs: number,
    found: GroupFound,
  ) {
    this.balanceMicros = state.balanceMicros;
    this.entries = new Map(found.entries);
    this.resources = new Map(found.resources);
    this.autoTopupFailures = state.flags.autoTopupFailures;
    this.autoTopupEnabled = state.flags.autoTopupEnabled;
    this.intervals = state.open.intervals;
    this.blocks = new BlockDraws(state.blocks);
  }

  /** The view a group decided behind `before` starts from: the state `before` leaves if it commits. */
  static behind(before: GroupView, nowMs: number): GroupView {
    const view = new GroupView(before.state, nowMs, { entries: before.entries, resources: before.resources });
    view.balanceMicros = before.balanceMicros;
    view.autoTopupFailures = before.autoTopupFailures;
    view.autoTopupEnabled = before.autoTopupEnabled;
    view.intervals = before.intervals;
    view.intervalsChanged = before.intervalsChanged;
    view.blocks = new BlockDraws(before.state.blocks, before.blocks);
    return view;
  }

  /** What the open hours' usage holds back, with the group's starts and stops so far. */
  accumulatingMicros(): number {
    this.accumulating ??= this.state.open.accumulatingMicros(this.nowMs, this.state.book, this.intervals);
    return this.accumulating;
  }

  /** What a deduction (or a start) may still take now. */
  spendableMicros(): number {
    return spendableFrom(this.balanceMicros, this.accumulatingMicros());
  }

  openIntervalOf(resourceId: string): IntervalRow | undefined {
    return this.intervals.find((iv) => iv.resourceId === resourceId && iv.stoppedAtMs === null);
  }

  /** Closes the resource's open interval at `atMs` (copies: the state's interval objects stay as they are). */
  stopIntervals(resourceId: string, atMs: number): void {
    this.changeIntervals(this.intervals.map((iv) => (iv.resourceId === resourceId && iv.stoppedAtMs === null ? { ...iv, stoppedAtMs: atMs } : iv)));
  }

  /** A new open interval; one of the same resource starting at the same instant is replaced. */
  addInterval(interval: IntervalRow): void {
    this.changeIntervals([...this.intervals.filter((iv) => !(iv.resourceId === interval.resourceId && iv.startedAtMs === interval.startedAtMs)), interval]);
  }

  /** The group is durable: the cached state becomes what the group saw last. */
  applyTo(state: LedgerState, balanceMoved: boolean): void {
    state.balanceMicros = this.balanceMicros;
    if (balanceMoved) state.updatedAtMs = this.nowMs;
    if (this.intervalsChanged) state.open.intervals = this.intervals;
    state.flags.autoTopupFailures = this.autoTopupFailures;
    state.flags.autoTopupEnabled = this.autoTopupEnabled;
    if (this.blocks.changed) this.blocks.applyTo(state.blocks);
  }

  private changeIntervals(next: IntervalRow[]) {
    this.intervals = next;
    this.intervalsChanged = true;
    this.accumulating = null;
  }
}
