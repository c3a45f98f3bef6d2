// Holds made and closed as writes of the object's group commit (group_commit.ts), journaled beside
// deductions: each is decided against the running view of its group (the balance the deductions
// before it leave, the holds made or closed before it), so a hold is never granted on credits a
// deduction of the same moment takes, nor the other way round. A hold touches no D1 statement: it
// is durable once its row is in the object's SQLite, written when its group is (before the answer).
// Captures are ledger entries (entry_writes.ts, kind `capture`) with the hooks of spend_controls.ts.
import { canonicalJson } from '../../../lib/crypto';
import type { GroupBatch } from '../../writes/group_batch';
import type { GroupWrite } from '../../writes/group_commit';
import type { GroupView } from '../../writes/group_view';
import type { LedgerFailure, LedgerResult } from '../../ledger_result';
import { holdView, type HoldRecord, type HoldView } from './hold_book';
import type { SpendControls } from './spend_controls';

export interface CreateHoldInput {
  id: string;
  workspaceId: string;
  memberId: string | null;
  amountMicros: number;
  ttlSeconds: number;
  description: string | null;
}

const conflict = (id: string): LedgerFailure => ({ ok: false, code: 'idempotency_conflict', message: `The hold id "${id}" was already used with a different request.` });

/** A durable change of the book, answered as the hold it leaves; a storage failure fails this write only. */
function persisted(write: () => void, hold: HoldRecord, replayed = false): LedgerResult<HoldView> {
  try {
    write();
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'could not store a hold', holdId: hold.id, error: String(error) }));
    return { ok: false, code: 'internal_error', message: 'The hold could not be stored; nothing was held.' };
  }
  return { ok: true, replayed, value: holdView(hold) };
}

export class CreateHoldWrite implements GroupWrite<HoldView> {
  readonly workspaceId: string;
  readonly journaled = true;
  /**
   * What a replay must match: the request itself, canonical (a few hundred bytes at most, kept with
   * the hold), rather than a hash of it: no digest to wait for on the hold's hot path.
   */
  private readonly requestHash: string;

  constructor(
    private readonly input: CreateHoldInput,
    private readonly controls: SpendControls,
  ) {
    this.workspaceId = input.workspaceId;
    const { workspaceId, memberId, amountMicros, ttlSeconds, description } = input;
    this.requestHash = canonicalJson({ workspaceId, memberId, amountMicros, ttlSeconds, description });
  }

  decide(view: GroupView, _batch: GroupBatch): () => LedgerResult<HoldView> {
    const { input, controls } = this;
    const { book } = controls;
    const existing = book.getIn(view, input.id);
    if (existing) {
      const answer: LedgerResult<HoldView> = existing.requestHash === this.requestHash ? { ok: true, replayed: true, value: holdView(existing) } : conflict(input.id);
      return () => answer;
    }
    const available = controls.availableIn(view);
    if (available <= 0 || available < input.amountMicros) {
      const failure: LedgerFailure = {
        ok: false,
        code: 'insufficient_credits',
        message: `The balance less what is held (${available} micros) cannot cover ${input.amountMicros} micros; nothing was held.`,
      };
      return () => failure;
    }
    const refusal = controls.limitRefusal(input.memberId, input.amountMicros, view);
    if (refusal) return () => refusal;

    const hold: HoldRecord = {
      id: input.id,
      workspaceId: input.workspaceId,
      memberId: input.memberId,
      amountMicros: input.amountMicros,
      description: input.description,
      requestHash: this.requestHash,
      status: 'held',
      capturedMicros: null,
      transactionId: null,
      expiresAtMs: view.nowMs + input.ttlSeconds * 1000,
      createdAtMs: view.nowMs,
      closedAtMs: null,
    };
    book.changeIn(view, null, hold);
    return () => {
      const answer = persisted(() => book.insert(hold), hold);
      if (answer.ok) controls.checkReached(hold.memberId);
      return answer;
    };
  }
}

/**
 * A release, or a capture of 0 (which releases): idempotent. A captured hold cannot be released
 * (hold_closed); a capture of 0 after a capture of another amount is a conflict; a hold released
 * by a release cannot then be captured (hold_closed).
 */
export class CloseHoldWrite implements GroupWrite<HoldView> {
  readonly journaled = true;

  constructor(
    readonly workspaceId: string,
    private readonly holdId: string,
    private readonly how: 'release' | 'capture_zero',
    private readonly controls: SpendControls,
  ) {}

  decide(view: GroupView, _batch: GroupBatch): () => LedgerResult<HoldView> {
    const { holdId, how, controls } = this;
    const { book } = controls;
    const hold = book.getIn(view, holdId);
    let failure: LedgerFailure | null = null;
    if (!hold || hold.workspaceId !== this.workspaceId) failure = { ok: false, code: 'not_found', message: 'No such hold.' };
    else if (hold.status === 'captured') {
      failure =
        how === 'release'
          ? { ok: false, code: 'hold_closed', message: `The hold "${holdId}" was captured; it can no longer be released.` }
          : { ok: false, code: 'idempotency_conflict', message: `The hold "${holdId}" was already captured with another amount.` };
    } else if (hold.status === 'released' && how === 'capture_zero' && hold.capturedMicros !== 0) {
      failure = { ok: false, code: 'hold_closed', message: `The hold "${holdId}" was released; it can no longer be captured.` };
    }
    if (failure) {
      const refused = failure;
      return () => refused;
    }
    const current = hold!;
    // Released already (or expired, for a release): answered as it stands.
    if (current.status === 'released' || (current.status === 'expired' && how === 'release')) {
      return () => ({ ok: true, replayed: true, value: holdView(current) });
    }
    const closed: HoldRecord = { ...current, status: 'released', capturedMicros: how === 'capture_zero' ? 0 : null, closedAtMs: view.nowMs };
    book.changeIn(view, current, closed);
    return () => persisted(() => book.close(closed), closed);
  }
}
