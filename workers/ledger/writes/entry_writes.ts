// Ledger entries (deductions, adjustments, refunds, disputes) as writes of a group commit
// (group_commit.ts): each is decided on the balance the earlier writes of its group leave, exactly
// as one-at-a-time application would decide it.
import { canonicalJson, sha256Hex } from '../../lib/crypto';
import { newId } from '../../lib/ids';
import { outboxEvent } from '../../notifications/outbox';
import { balanceCapFailure } from '../rules/balance_cap';
import { replay } from '../entry_replay';
import { isCallerKey } from '../caller_keys';
import { simBroken } from '../../lib/sim_hooks';
import type { GroupBatch } from './group_batch';
import type { GroupWrite } from './group_commit';
import type { GroupView } from './group_view';
import type { LedgerFailure } from '../ledger_result';
import type { PostEntryInput } from '../ledger_types';
import { toTransactionView, type TransactionRow, type TransactionView } from '../transaction_view';
import { creditBlock, fundDebit, paidTakeableMicros } from '../rules/blocks/entry_blocks';

/**
 * What holds and spend limits add to an entry's decision (holds/, limits/): set by the object for
 * deductions and captures, absent for every other entry (corrections, refunds and disputes count
 * the balance holds aside).
 */
export interface EntryHooks {
  /** A refusal decided before the balance is looked at (a closed hold). */
  refuseFirst?(view: GroupView): LedgerFailure | null;
  /** What the entry may take now: the spendable balance less what active holds reserve. */
  availableMicros(view: GroupView): number;
  /**
   * A deduction a region already answered (workers/regions/): recorded whatever the balance says,
   * what it cannot cover forgiven (its escrow lease reserved it, so this happens only if the open
   * hour's usage ate into the lease), never refused.
   */
  forgiveShortfall?: boolean;
  /** A refusal decided once the balance covers the entry (a member's spend limit). */
  refuseAfter?(view: GroupView, amountMicros: number): LedgerFailure | null;
  /** The entry is decided: later writes of its group must see it (a hold captured, a member's spend). */
  decided?(view: GroupView, row: TransactionRow): void;
  /** The entry is durable: the object's memory follows (called once, before the answer). */
  durable?(row: TransactionRow): void;
}

export class EntryWrite implements GroupWrite<TransactionView> {
  readonly workspaceId: string;
  readonly writes: { keys: string[] };
  readonly pipelinable: boolean;
  /**
   * Durable in the object's own SQLite (entry_journal.ts) and projected to D1 behind it: a deduction
   * or adjustment under a caller's key, whose batch touches only the shard. Refunds and disputes
   * record a Stripe event in the directory (and may notify): they stay answered once D1-durable.
   */
  readonly journaled: boolean;
  private requestHash = '';

  constructor(
    private readonly input: PostEntryInput,
    private readonly hooks?: EntryHooks,
  ) {
    this.workspaceId = input.workspaceId;
    this.writes = { keys: [input.id] };
    this.journaled = (input.kind === 'deduction' || input.kind === 'adjustment' || input.kind === 'capture') && !input.stripeEvent && !input.notify && isCallerKey(input.id);
    this.pipelinable = !this.journaled;
  }

  async prepare() {
    const { kind, amountMicros, description, memberId } = this.input;
    this.requestHash = await sha256Hex(canonicalJson({ kind, amountMicros, description, memberId: memberId ?? null }));
  }

  decide(view: GroupView, batch: GroupBatch) {
    const { input, requestHash } = this;
    // The id is in D1 already, or an earlier entry of this group wrote it: its replay (or 409).
    const known = view.entries.get(input.id);
    // (Broken on purpose only by the simulator's test-only switch: proves its idempotency check fails.)
    if (known && !(input.kind === 'adjustment' && simBroken('adjustment_idempotency'))) return () => replay(known, requestHash);

    const { hooks } = this;
    // What the open hour's usage already holds back: a deduction may only take what is above it
    // (and above what active holds reserve, hooks.availableMicros).
    const spendableMicros = hooks ? hooks.availableMicros(view) : view.spendableMicros();
    let deltaMicros: number;
    let forgivenMicros = 0;
    let refusal: LedgerFailure | null = hooks?.refuseFirst?.(view) ?? null;
    if (refusal) {
      deltaMicros = 0;
    } else if (input.kind === 'deduction') {
      deltaMicros = -input.amountMicros;
      if (hooks?.forgiveShortfall) {
        deltaMicros = -Math.min(input.amountMicros, spendableMicros) || 0;
        forgivenMicros = input.amountMicros + deltaMicros;
      } else if (spendableMicros < input.amountMicros && !simBroken('deduction_below_zero')) {
        refusal = { ok: false, code: 'insufficient_credits', message: `The balance (${spendableMicros} micros) cannot cover ${input.amountMicros} micros.` };
      } else {
        refusal = hooks?.refuseAfter?.(view, input.amountMicros) ?? null;
      }
    } else if (input.kind === 'capture') {
      // A capture charges what the work cost: as far as the balance covers it, the rest forgiven.
      deltaMicros = -Math.min(input.amountMicros, spendableMicros) || 0;
      forgivenMicros = input.amountMicros + deltaMicros;
    } else if ((input.kind === 'refund' || input.kind === 'dispute') && input.amountMicros < 0) {
      // Stripe taking money back takes paid credit only (never promotional), and never what the open
      // hour's usage still needs; the rest is forgiven.
      deltaMicros = -paidTakeableMicros(view, -input.amountMicros) || 0;
      forgivenMicros = deltaMicros - input.amountMicros;
    } else {
      // A correction never takes what the open hour's usage still needs; the rest is forgiven.
      deltaMicros = Math.max(input.amountMicros, -spendableMicros) || 0;
      forgivenMicros = deltaMicros - input.amountMicros;
      refusal = balanceCapFailure(view.balanceMicros, deltaMicros, 'amountMicros');
    }
    if (refusal) {
      const failure = refusal;
      // A refused entry whose id succeeded earlier (a retry) still answers as it did then. A
      // journaled group's view holds every key the object wrote (the key index): nothing to look up.
      if (!this.journaled) batch.lookUpIfRefused(input.id);
      return (committed: { earlier(key: string): TransactionRow | undefined }) => {
        const earlier = committed.earlier(input.id);
        return earlier ? replay(earlier, requestHash) : failure;
      };
    }

    view.balanceMicros += deltaMicros;
    const nowMs = view.nowMs;
    const row: TransactionRow = {
      seq: 0,
      id: input.transactionId ?? newId('txn', nowMs),
      workspaceId: input.workspaceId,
      idempotencyKey: input.id,
      requestHash,
      type: input.kind === 'deduction' || input.kind === 'capture' ? 'usage' : input.kind,
      status: 'completed',
      description: input.description,
      amountMicros: deltaMicros,
      forgivenMicros,
      balanceAfterMicros: view.balanceMicros,
      invoiceUrl: null,
      memberId: input.memberId ?? null,
      createdAtMs: nowMs,
      settledAtMs: nowMs,
    };
    view.entries.set(input.id, row);
    batch.entry(row, deltaMicros);
    if (deltaMicros > 0) {
      // A positive adjustment is promotional credit; a reinstated dispute, or a refund that failed
      // after it was taken, gives paid credit back.
      const paidBack = input.kind === 'dispute' || input.kind === 'refund';
      creditBlock(view, batch, row.id, deltaMicros, paidBack ? { category: 'paid', source: 'deposit' } : { category: 'promotional', source: 'adjustment' });
    } else if (deltaMicros < 0) {
      // Deductions and captures (what was taken, forgiven aside) are funded in burn-down order.
      const takesPaid = input.kind === 'refund' || input.kind === 'dispute';
      fundDebit(view, batch, row.id, -deltaMicros, takesPaid ? { depositTransactionId: input.depositTransactionId } : undefined);
    }
    hooks?.decided?.(view, row);
    const { stripeEvent: event, notify } = input;
    if (event) batch.recordStripeEvent(event);
    // A platform notification the entry causes (payment.disputed): in the outbox, same batch.
    if (notify) batch.notify(outboxEvent(notify.type, { ...notify.data, transactionId: row.id, amountMicros: row.amountMicros }));
    return () => {
      hooks?.durable?.(row);
      return { ok: true, replayed: false, value: toTransactionView(row) } as const;
    };
  }
}
