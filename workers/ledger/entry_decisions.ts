import type { transactions } from '../../schema/tables';
import { balanceCapFailure } from './balance_cap';
import { spendableFrom } from './ledger_context';
import type { LedgerFailure } from './ledger_result';
import type { PostEntryInput } from './ledger_types';
import type { LedgerState } from './load_state';

type StoredEntry = typeof transactions.$inferSelect;

/** One entry of a group, with the hash that tells its replay from a conflicting reuse of its id. */
export interface GroupEntry {
  input: PostEntryInput;
  requestHash: string;
}

/** What a group commit does with each entry; only `write` moves money. */
export type EntryDecision =
  /** Written in this batch; `laterMicros` is what the group's later writes move after it. */
  | { kind: 'write'; deltaMicros: number; forgivenMicros: number; balanceAfterMicros: number; laterMicros: number }
  /** Refused (402, or 400 over the cap) unless the id turns out to be an earlier entry: then its replay. */
  | { kind: 'refuse'; failure: LedgerFailure }
  /** The id is already in D1: answered from the stored entry. */
  | { kind: 'stored'; row: StoredEntry }
  /** The id was written by an earlier entry of this same group (`index`): its replay, or 409. */
  | { kind: 'same_as'; index: number };

export interface GroupPlan {
  decisions: EntryDecision[];
  totalDeltaMicros: number;
}

/**
 * Decides a group's entries in arrival order against the running balance, exactly as one-at-a-time
 * application would: each sees the balance the earlier ones of the group leave. Pure: nothing is
 * written here, and the state is not changed (the batch may still fail).
 */
export function decideGroup(state: LedgerState, entries: GroupEntry[], stored: ReadonlyMap<string, StoredEntry>, nowMs: number): GroupPlan {
  // What the open hour's usage already holds back: a deduction may only take what is above it.
  const accumulatingMicros = state.open.accumulatingMicros(nowMs, state.book);
  let balanceMicros = state.balanceMicros;
  const decisions: EntryDecision[] = [];
  const writtenBy = new Map<string, number>();
  entries.forEach(({ input }, index) => {
    const earlierRow = stored.get(input.id);
    if (earlierRow) return decisions.push({ kind: 'stored', row: earlierRow });
    const earlierIndex = writtenBy.get(input.id);
    if (earlierIndex !== undefined) return decisions.push({ kind: 'same_as', index: earlierIndex });

    const spendableMicros = spendableFrom(balanceMicros, accumulatingMicros);
    let deltaMicros: number;
    let forgivenMicros = 0;
    if (input.kind === 'deduction') {
      if (spendableMicros < input.amountMicros) {
        return decisions.push({
          kind: 'refuse',
          failure: { ok: false, code: 'insufficient_credits', message: `The balance (${spendableMicros} micros) cannot cover ${input.amountMicros} micros.` },
        });
      }
      deltaMicros = -input.amountMicros;
    } else {
      // A correction (or a refund, which is negative) never takes what the open hour's usage still
      // needs; the rest is forgiven.
      deltaMicros = Math.max(input.amountMicros, -spendableMicros) || 0;
      forgivenMicros = deltaMicros - input.amountMicros;
      const overCap = balanceCapFailure(balanceMicros, deltaMicros, 'amountMicros');
      if (overCap) return decisions.push({ kind: 'refuse', failure: overCap });
    }
    balanceMicros += deltaMicros;
    writtenBy.set(input.id, index);
    decisions.push({ kind: 'write', deltaMicros, forgivenMicros, balanceAfterMicros: balanceMicros, laterMicros: 0 });
  });
  const totalDeltaMicros = balanceMicros - state.balanceMicros;
  for (const d of decisions) if (d.kind === 'write') d.laterMicros = balanceMicros - d.balanceAfterMicros;
  return { decisions, totalDeltaMicros };
}
