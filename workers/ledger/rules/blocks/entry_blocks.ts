// What a ledger entry does to the credit blocks, decided in its group's view: a credit becomes a
// block, a debit is funded from blocks (burn-down order; refunds and disputes from paid blocks only,
// the refunded deposit's own block first).
import { newOrderedId } from '../../../lib/ids';
import { simBroken } from '../../../lib/sim_hooks';
import type { GroupBatch } from '../../writes/group_batch';
import type { GroupView } from '../../writes/group_view';
import { LedgerInvariantError } from '../../state/ledger_state';
import { fundedMicros } from './block_draws';
import { DEFAULT_PRIORITY, type CreditBlock, type CreditCategory, type CreditSource, type FundingLine } from './credit_block';

export interface NewBlock {
  category: CreditCategory;
  source: CreditSource;
  priority?: number;
  expiresAtMs?: number | null;
  grantId?: string | null;
}

/** A new block for `micros` brought in by entry `transactionId`, in the view and the batch. */
export function creditBlock(view: GroupView, batch: GroupBatch, transactionId: string, micros: number, spec: NewBlock): CreditBlock {
  const block: CreditBlock = {
    id: newOrderedId('blk', view.nowMs),
    category: spec.category,
    source: spec.source,
    transactionId,
    amountMicros: micros,
    remainingMicros: micros,
    priority: spec.priority ?? DEFAULT_PRIORITY,
    expiresAtMs: spec.expiresAtMs ?? null,
    createdAtMs: view.nowMs,
    grantId: spec.grantId ?? null,
  };
  view.blocks.add(block);
  batch.creditBlock(block);
  return block;
}

/** How much of a refund or withdrawn dispute can be taken: paid credit only, and never what the open hour still needs. */
export const paidTakeableMicros = (view: GroupView, wantedMicros: number): number => Math.min(wantedMicros, view.spendableMicros(), view.blocks.paidMicros);

/**
 * Funds a debit of exactly `micros` (which the caller has bounded by what can be taken) from the
 * view's blocks, and records it in the batch. Throws when the blocks cannot fund it: the balance and
 * the blocks disagree, and nothing may be written on that basis.
 */
export function fundDebit(view: GroupView, batch: GroupBatch, transactionId: string, micros: number, refundOf?: { depositTransactionId?: string }): FundingLine[] {
  if (micros <= 0) return [];
  // Broken on purpose (sim_hooks): a refund drawn like any debit, promotional credit first.
  const lines = refundOf && !simBroken('refund_takes_promotional')
    ? view.blocks.take(micros, { only: 'paid', firstBlockId: refundOf.depositTransactionId ? view.blocks.ofTransaction(refundOf.depositTransactionId)?.id : undefined })
    : view.blocks.take(micros);
  // Broken on purpose (sim_hooks): an overdraft the blocks cannot fund goes through, partly funded.
  if (fundedMicros(lines) !== micros && !simBroken('deduction_below_zero')) throw new LedgerInvariantError(`credit blocks cannot fund ${micros} micros of ${transactionId}`);
  if (!(simBroken('block_funding_skipped') && !refundOf)) {
    batch.funding(simBroken('funding_misattributed') && !refundOf ? `${transactionId}-elsewhere` : transactionId, lines);
  }
  return lines;
}
