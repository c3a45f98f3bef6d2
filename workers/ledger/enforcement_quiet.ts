// Whether zero-balance enforcement would do nothing after a group commits: the condition under
// which the next group may be sent before enforcement has run (group_commit.ts, pipelining).
import type { Env } from '../env';
import { centsToMicros } from '../lib/money';
import type { GroupView } from './group_view';
import { lowBalanceHorizonHours, planEnforcement } from './enforcement_plan';

/**
 * True when, on the state `view` leaves, enforcement would neither recharge, terminate, suspend,
 * restore nor move the low-balance flag: the spendable balance is at or above the auto-top-up
 * threshold (whether or not it is on) with no crossing marked, and planEnforcement has nothing to
 * do. Only the alarm's time would move, and enforcement sets it once the pipeline drains.
 */
export function enforcementQuietAfter(view: GroupView, env: Env): boolean {
  const { state, nowMs } = view;
  const flags = { ...state.flags, autoTopupFailures: view.autoTopupFailures, autoTopupEnabled: view.autoTopupEnabled };
  const spendableMicros = view.spendableMicros();
  if (flags.autoRechargeCrossingAtMs !== null || spendableMicros < centsToMicros(flags.autoTopupThresholdCents)) return false;
  const balance = { spendableMicros, burnRateMicrosPerHour: state.open.burnRateMicrosPerHour(nowMs, state.book), runningRateMicrosPerHour: 0 };
  return planEnforcement(balance, flags, state.open.intervals, nowMs, lowBalanceHorizonHours(env)).kind === 'none';
}
