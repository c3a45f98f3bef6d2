// Holds and spend limits as the ledger object applies them: what a check, a deduction or a hold may
// take (the spendable balance less active holds, within the member's limit), and the hooks that
// deductions and captures carry through the group commit (entry_writes.ts). The object owns one.
import { simBroken } from '../../../lib/sim_hooks';
import type { EntryHooks } from '../../writes/entry_writes';
import type { GroupView } from '../../writes/group_view';
import { spendableMicros } from '../../state/ledger_context';
import type { LedgerFailure } from '../../ledger_result';
import type { LedgerState } from '../../state/ledger_state';
import type { TransactionRow } from '../../transaction_view';
import type { SpendTracker } from '../limits/spend_tracker';
import type { HoldBook, HoldRecord } from './hold_book';

export class SpendControls {
  /** The member spend the object knows (null until its state is loaded, and after it is dropped). */
  tracker: SpendTracker | null = null;
  /**
   * The clock spend-limit periods are counted by: Date.now, except in tests, which move it to a
   * day's or a month's end (test/holds/spend_limits.test.ts).
   */
  clock: () => number = () => Date.now();

  constructor(
    readonly book: HoldBook,
    /** Members whose limit refused something or was reached: `spend_limit.reached`, once a period. */
    private readonly reached: (memberIds: string[]) => void,
  ) {}

  /** What a check, deduction or hold may take now: the spendable balance less active holds. */
  availableMicros(state: LedgerState, nowMs: number): number {
    return Math.max(0, spendableMicros(state, nowMs) - this.book.heldMicros);
  }

  /** The same, as a group's writes see it while it is decided. */
  availableIn(view: GroupView): number {
    return Math.max(0, view.spendableMicros() - this.book.heldIn(view));
  }

  /** Refusal of `amountMicros` by the member's spend limit (null: within it, or no limit). */
  limitRefusal(memberId: string | null | undefined, amountMicros: number, view?: object): LedgerFailure | null {
    if (!memberId || !this.tracker) return null;
    const refusal = this.tracker.refusal(memberId, amountMicros, this.clock(), view);
    if (refusal) this.reached([memberId]);
    return refusal;
  }

  /** After a debit or hold of the member is durable: its limit may be reached now. */
  checkReached(memberId: string | null | undefined): void {
    if (memberId && this.tracker?.limits.has(memberId) && this.tracker.remainingMicros(memberId, this.clock()) <= 0) this.reached([memberId]);
  }

  /** After usage arrived: any limited member may have reached their limit. */
  checkAllReached(): void {
    if (!this.tracker || this.tracker.empty) return;
    const members = this.tracker.reachedMembers(this.clock());
    if (members.length > 0) this.reached(members);
  }

  /** A deduction: within the balance less holds, then within the member's limit. */
  deductionHooks(memberId: string | null | undefined): EntryHooks {
    return {
      availableMicros: (view) => this.availableIn(view),
      refuseAfter: (view, amountMicros) => this.limitRefusal(memberId, amountMicros, view),
      decided: (view, row) => this.debitIn(view, row),
      durable: (row) => this.debited(row),
    };
  }

  /**
   * A capture of hold `holdId` (amount > 0): refused when the hold is unknown or was released; it
   * may take what the balance holds beyond the other holds (its own reservation included), and is
   * never refused by the balance or a limit (the work was done). Durable, the hold is closed.
   */
  captureHooks(holdId: string, workspaceId: string, amountMicros: number): EntryHooks {
    return {
      refuseFirst: (view) => {
        const hold = this.book.getIn(view, holdId);
        if (!hold || hold.workspaceId !== workspaceId) return { ok: false, code: 'not_found', message: 'No such hold.' };
        // (The simulator's broken rule captures a released hold: test-only, SIM_HOOKS.)
        if (hold.status === 'released' && !simBroken('capture_after_release')) return { ok: false, code: 'hold_closed', message: `The hold "${holdId}" was released; it can no longer be captured.` };
        // Captured already: its entry is known under the capture's key, and answered before this.
        if (hold.status === 'captured') return { ok: false, code: 'idempotency_conflict', message: `The hold "${holdId}" was already captured with another amount.` };
        return null;
      },
      availableMicros: (view) => {
        const hold = this.book.getIn(view, holdId);
        const own = hold?.status === 'held' ? hold.amountMicros : 0;
        return Math.max(0, view.spendableMicros() - (this.book.heldIn(view) - own));
      },
      decided: (view, row) => {
        const hold = this.book.getIn(view, holdId)!;
        this.book.changeIn(view, hold, captured(hold, amountMicros, row));
        this.debitIn(view, row);
      },
      durable: (row) => {
        const hold = this.book.get(holdId);
        if (hold && hold.status !== 'captured') this.book.close(captured(hold, amountMicros, row));
        this.debited(row);
      },
    };
  }

  private debitIn(view: GroupView, row: TransactionRow) {
    if (row.memberId) this.tracker?.debitIn(view, row.memberId, row.forgivenMicros - row.amountMicros);
  }

  private debited(row: TransactionRow) {
    this.tracker?.debited(row.memberId, row.forgivenMicros - row.amountMicros, row.createdAtMs);
    this.checkReached(row.memberId);
  }
}

/** The hold once captured by `row` (what was asked, charged or forgiven). */
export const captured = (hold: HoldRecord, amountMicros: number, row: Pick<TransactionRow, 'id' | 'createdAtMs'>): HoldRecord => ({
  ...hold,
  status: 'captured',
  capturedMicros: amountMicros,
  transactionId: row.id,
  closedAtMs: row.createdAtMs,
});
