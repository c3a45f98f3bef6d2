// Whether zero-balance enforcement would do nothing after a group commits: the condition under
// which the next group may be sent before enforcement has run (group_commit.ts, pipelining).
import type { Env } from '../../env';
import { centsToMicros } from '../../lib/money';
import type { GroupView } from '../writes/group_view';
import { balanceViewOf, hoursRemaining, lowBalanceHorizonHours, planEnforcement, predictedZeroAtMs } from './enforcement_plan';
import { alertInputsOf, runningInstanceIds } from './alerts/alert_inputs';
import { planAlerts, type AlertInputs } from './alerts/alert_rules';
import { spendableMicros } from '../state/ledger_context';
import type { LedgerState } from '../state/ledger_state';

/**
 * True when, on the state `view` leaves, enforcement would neither recharge, terminate, suspend,
 * restore, move the low-balance flag nor send or re-arm an alert (alerts/): the spendable balance
 * is at or above the auto-top-up threshold (whether or not it is on) with no crossing marked, and
 * neither planEnforcement nor planAlerts has anything to do. Only the alarm's time would move, and enforcement sets it once the pipeline drains.
 */
export function enforcementQuietAfter(view: GroupView, env: Env): boolean {
  const { state, nowMs } = view;
  const flags = { ...state.flags, autoTopupFailures: view.autoTopupFailures, autoTopupEnabled: view.autoTopupEnabled };
  const spendableMicros = view.spendableMicros();
  if (flags.autoRechargeCrossingAtMs !== null || spendableMicros < centsToMicros(flags.autoTopupThresholdCents)) return false;
  const balance = { spendableMicros, burnRateMicrosPerHour: state.open.burnRateMicrosPerHour(nowMs, state.book), runningRateMicrosPerHour: 0 };
  return planEnforcement(balance, flags, state.open.intervals, nowMs, lowBalanceHorizonHours(env)).kind === 'none' && alertsQuietAfter(view, spendableMicros);
}

/**
 * True when the alert rules (alerts/alert_rules.ts) would change nothing on the balance the group
 * leaves: no threshold crossed or re-armed, no depleted / recovered, no termination warning sent or
 * withdrawn. With blocks that expire and rules that look at the zero crossing, the prediction needs
 * the blocks the group leaves: enforcement decides then.
 */
function alertsQuietAfter(view: GroupView, spendable: number): boolean {
  const { state, nowMs } = view;
  const { settings } = state.alerts;
  const instanceIds = runningInstanceIds(state, nowMs);
  const looksAtCrossing = (settings.terminationWarningMinutes > 0 && instanceIds.length > 0) || settings.thresholds.some((t) => 'hoursRemaining' in t);
  if (looksAtCrossing && state.blocks.nextExpiry() !== null) return false;
  const burnRateMicrosPerHour = state.open.burnRateMicrosPerHour(nowMs, state.book);
  const runningRateMicrosPerHour = state.open.runningRateMicrosPerHour(nowMs, state.book);
  const inputs: AlertInputs = {
    nowMs,
    spendableMicros: spendable,
    hoursRemaining: hoursRemaining(spendable, burnRateMicrosPerHour),
    runningRateMicrosPerHour,
    zeroAtMs: predictedZeroAtMs({ spendableMicros: spendable, burnRateMicrosPerHour, runningRateMicrosPerHour }, nowMs),
    instanceIds,
  };
  return planAlerts(state.alerts, inputs) === null;
}

/**
 * True when zero-balance enforcement, run now on `state`, may write to D1 (an auto-recharge or the
 * clearing of its crossing mark, a termination, a restore, the low-balance flag): then it must wait
 * until D1 holds every journaled entry. Otherwise it only re-arms the alarm and waits for nothing.
 */
export function enforcementMayWriteD1(state: LedgerState, nowMs: number, env: Env): boolean {
  const f = state.flags;
  const spendable = spendableMicros(state, nowMs);
  const above = spendable >= centsToMicros(f.autoTopupThresholdCents);
  if (above ? f.autoRechargeCrossingAtMs !== null : f.autoTopupEnabled && f.paymentMethodId !== null && f.stripeCustomerId !== null) return true;
  const balance = { spendableMicros: spendable, burnRateMicrosPerHour: state.open.burnRateMicrosPerHour(nowMs, state.book), runningRateMicrosPerHour: state.open.runningRateMicrosPerHour(nowMs, state.book) };
  if (planEnforcement(balance, f, state.open.intervals, nowMs, lowBalanceHorizonHours(env)).kind !== 'none') return true;
  // An alert to send (or its state to move) is written with its outbox row.
  return planAlerts(state.alerts, alertInputsOf(state, balanceViewOf(state, nowMs), nowMs)) !== null;
}
