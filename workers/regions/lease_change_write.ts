// The home ledger's side of a lease exchange, as one write of its group commit: the region's lease
// (a hold of the home ledger under leaseHoldId, so that every check, deduction and hold at home
// counts it as reserved) shrinks by what the region reported spending and what it gave back, and
// grows by what home grants now. Decided against the group's running view like any hold, durable
// in the object's SQLite with its answer (so a retried exchange is answered, never applied twice).
import type { GroupBatch } from '../ledger/writes/group_batch';
import type { GroupWrite } from '../ledger/writes/group_commit';
import type { GroupView } from '../ledger/writes/group_view';
import type { HoldRecord } from '../ledger/rules/holds/hold_book';
import type { SpendControls } from '../ledger/rules/holds/spend_controls';
import type { LedgerResult } from '../ledger/ledger_result';
import { LEASE_FLOOR_MICROS, LEASE_HOLD_TTL_MS, LEASE_SHARE_DIVISOR, leaseHoldId, type LeaseAnswer } from './lease_protocol';
import type { Region } from './regions';

/** Each region's last exchange and its answer, in the home object's SQLite. */
export interface LeaseAnswers {
  answerOf(region: Region): LeaseAnswer | null;
  save(region: Region, answer: LeaseAnswer): void;
}

/**
 * A retried exchange is answered as it was first answered, but with the lease as home holds it now:
 * home may have let it expire since (its safety valve, an hour without a word from the region), and
 * a region must never hold a lease home does not reserve (found by the simulator: seed 24).
 */
export function replayedAnswer(earlier: LeaseAnswer, heldMicros: number): LeaseAnswer {
  if (heldMicros >= earlier.leaseMicros) return earlier;
  return { ...earlier, leaseMicros: heldMicros, grantedMicros: 0 };
}

/** What the region's lease hold reserves at home (0 once released or expired). */
export const heldLeaseMicros = (hold: HoldRecord | null): number => (hold?.status === 'held' ? hold.amountMicros : 0);

export interface LeaseChange {
  workspaceId: string;
  region: Region;
  seq: number;
  /** What the reported spends took from the lease (recorded as entries just before this write). */
  consumedMicros: number;
  returnMicros: number;
  wantMicros: number;
}

export class LeaseChangeWrite implements GroupWrite<LeaseAnswer> {
  readonly workspaceId: string;
  readonly journaled = true;

  constructor(
    private readonly change: LeaseChange,
    private readonly controls: SpendControls,
    private readonly answers: LeaseAnswers,
  ) {
    this.workspaceId = change.workspaceId;
  }

  decide(view: GroupView, _batch: GroupBatch): () => LedgerResult<LeaseAnswer> {
    const { change, controls, answers } = this;
    const { book } = controls;
    const id = leaseHoldId(change.region);
    const before = book.getIn(view, id);
    const heldMicros = heldLeaseMicros(before);
    const earlier = answers.answerOf(change.region);
    if (earlier && earlier.seq === change.seq) return () => ({ ok: true, replayed: true, value: replayedAnswer(earlier, heldMicros) });
    if (earlier && earlier.seq > change.seq) {
      return () => ({ ok: false, code: 'idempotency_conflict', message: `lease exchange ${change.seq} of ${change.region} is older than ${earlier.seq}` });
    }
    const keptMicros = Math.max(0, heldMicros - change.consumedMicros - change.returnMicros);
    // What home could give with this lease shrunk: its spendable balance less every hold and every
    // other region's lease. Not availableIn(view) + the released part: the reported spends are
    // already recorded in the view while the lease still reserves them, so spendable less holds can
    // be negative there, and clamping it to 0 first would overstate the pool by that much.
    const poolMicros = Math.max(0, view.spendableMicros() - book.heldIn(view) + (heldMicros - keptMicros));
    const grantedMicros = change.wantMicros > 0 && poolMicros >= LEASE_FLOOR_MICROS ? Math.min(change.wantMicros, Math.floor(poolMicros / LEASE_SHARE_DIVISOR)) : 0;
    const leaseMicros = keptMicros + grantedMicros;
    let after: HoldRecord | null = null;
    if (before || leaseMicros > 0) {
      after = {
        id,
        workspaceId: change.workspaceId,
        memberId: null,
        // A closed lease keeps its last positive amount (the column is > 0); only `held` counts.
        amountMicros: leaseMicros > 0 ? leaseMicros : Math.max(1, before?.amountMicros ?? 1),
        description: `Escrow lease of region ${change.region}`,
        requestHash: '',
        status: leaseMicros > 0 ? 'held' : 'released',
        capturedMicros: null,
        transactionId: null,
        expiresAtMs: view.nowMs + LEASE_HOLD_TTL_MS,
        createdAtMs: before?.createdAtMs ?? view.nowMs,
        closedAtMs: leaseMicros > 0 ? null : view.nowMs,
      };
      book.changeIn(view, before, after);
    }
    const answer: LeaseAnswer = {
      seq: change.seq,
      leaseMicros,
      grantedMicros,
      otherMicros: Math.max(0, poolMicros - grantedMicros),
      limitedMemberIds: controls.tracker ? [...controls.tracker.limits.keys()].sort() : [],
      answeredAtMs: view.nowMs,
    };
    const lease = after;
    return () => {
      try {
        if (lease) book.put(lease);
        answers.save(change.region, answer);
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', msg: 'could not store a lease', region: change.region, error: String(error) }));
        return { ok: false, code: 'internal_error', message: 'The lease could not be stored.' };
      }
      return { ok: true, replayed: false, value: answer };
    };
  }
}
