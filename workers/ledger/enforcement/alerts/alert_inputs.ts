// What the alert rules (alert_rules.ts) look at, read from the ledger object's state at one instant,
// the same way the credit summary and the zero-balance alarm read it.
import { hoursUntilZero } from '../../rules/blocks/zero_prediction';
import { hoursRemaining, predictedZeroAtMs, type BalanceView } from '../enforcement_plan';
import type { LedgerState } from '../../state/ledger_state';
import type { AlertInputs } from './alert_rules';

/** CreditSummary.hoursRemaining: the burn rate and the scheduled expiries of credit blocks (holds aside). */
export function summaryHoursRemaining(state: LedgerState, spendableMicros: number, accumulatingMicros: number, burnRateMicrosPerHour: number, nowMs: number): number | null {
  return state.blocks.nextExpiry()
    ? hoursUntilZero(state.blocks.list, accumulatingMicros, burnRateMicrosPerHour, nowMs)
    : hoursRemaining(spendableMicros, burnRateMicrosPerHour);
}

/** The running instances (those a zero balance would terminate), each once. */
export function runningInstanceIds(state: LedgerState, nowMs: number): string[] {
  const ids = state.open.intervals.filter((iv) => iv.kind === 'instance' && iv.stoppedAtMs === null && iv.startedAtMs <= nowMs).map((iv) => iv.resourceId);
  return [...new Set(ids)];
}

/** The inputs, from the balance view zero-balance enforcement built at `nowMs` (enforcement.ts). */
export function alertInputsOf(state: LedgerState, view: BalanceView, nowMs: number): AlertInputs {
  const accumulatingMicros = state.open.accumulatingMicros(nowMs, state.book);
  return {
    nowMs,
    spendableMicros: view.spendableMicros,
    hoursRemaining: summaryHoursRemaining(state, view.spendableMicros, accumulatingMicros, view.burnRateMicrosPerHour, nowMs),
    runningRateMicrosPerHour: view.runningRateMicrosPerHour,
    zeroAtMs: predictedZeroAtMs(view, nowMs),
    instanceIds: runningInstanceIds(state, nowMs),
  };
}
