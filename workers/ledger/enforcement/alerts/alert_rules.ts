// Alerts (CONTRACT.md "Alerts and warnings"): what the workspace asked to be told about, what the
// ledger object last told, and the pure rules that compare both with the balance. The object runs
// these in the queue turn of every change (and on its alarm), and writes the new alert state in the
// same D1 batch as the outbox rows it causes: each alert is decided once, and survives an eviction.
import { iso } from '../../../lib/time';
import { centsToMicros } from '../../../lib/money';
import { simBroken } from '../../../lib/sim_hooks';
import { outboxEvent, type OutboxEvent } from '../../../notifications/outbox';

export type AlertThreshold = { balanceCents: number } | { hoursRemaining: number };

/** The settings of PUT /v1/billing/alerts, as the object caches them. */
export interface AlertSettings {
  thresholds: AlertThreshold[];
  /** Lead time of instance.termination_scheduled; 0 = no warning. */
  terminationWarningMinutes: number;
  emailAdmins: boolean;
}

/** What the object last told (ledger_workspaces.alert_* state columns, migration 0008). */
export interface AlertState {
  /** Keys (thresholdKey) of the thresholds the balance is below now: each fired once on the way down. */
  crossed: string[];
  /** unfunded: never above zero yet (a new workspace is not "depleted"); funded; depleted: at zero since balance.depleted. */
  balanceState: 'unfunded' | 'funded' | 'depleted';
  /** predictedAt of the instance.termination_scheduled still standing; null: none. */
  warnedZeroAtMs: number | null;
}

export interface LedgerAlerts {
  settings: AlertSettings;
  state: AlertState;
}

/** What the rules look at, read at one instant (alert_inputs.ts). */
export interface AlertInputs {
  nowMs: number;
  /** The balance zero-balance enforcement acts on (holds aside). */
  spendableMicros: number;
  /** As CreditSummary.hoursRemaining (burn rate and scheduled expiries); null: nothing brings it to 0. */
  hoursRemaining: number | null;
  /** What running resources accrue per hour (what keeps draining with no new usage). */
  runningRateMicrosPerHour: number;
  /** The predicted zero crossing the object's alarm terminates at (running resources and expiries); null: none. */
  zeroAtMs: number | null;
  /** The running instances that crossing would terminate. */
  instanceIds: string[];
}

export interface AlertDecision {
  events: OutboxEvent[];
  next: AlertState;
}

/**
 * A prediction that moves earlier by more than this is announced again; smaller moves (the burn of
 * a few tokens, rounding) are not news. It is well under the 10 s the warning may lag its window.
 */
export const WARNING_EARLIER_TOLERANCE_MS = 60_000;

const MS_PER_HOUR = 3_600_000;

export const DEFAULT_ALERT_SETTINGS: AlertSettings = { thresholds: [], terminationWarningMinutes: 60, emailAdmins: false };

export const thresholdKey = (t: AlertThreshold): string => ('balanceCents' in t ? `balance:${t.balanceCents}` : `hours:${t.hoursRemaining}`);

/** Below the threshold: the balance under it, or the hours remaining under it (at zero, under every one). */
export function isBelow(t: AlertThreshold, inputs: Pick<AlertInputs, 'spendableMicros' | 'hoursRemaining'>): boolean {
  if ('balanceCents' in t) return inputs.spendableMicros < centsToMicros(t.balanceCents);
  return inputs.spendableMicros <= 0 || (inputs.hoursRemaining !== null && inputs.hoursRemaining < t.hoursRemaining);
}

/** The crossed set right after the settings change: thresholds already passed are marked, not announced. */
export const crossedOnSave = (thresholds: readonly AlertThreshold[], inputs: Pick<AlertInputs, 'spendableMicros' | 'hoursRemaining'>): string[] =>
  thresholds.filter((t) => isBelow(t, inputs)).map(thresholdKey);

/** Whether the predicted zero crossing is within the warning window now. */
function inWarningWindow(settings: AlertSettings, inputs: AlertInputs): boolean {
  const windowMs = settings.terminationWarningMinutes * 60_000;
  return windowMs > 0 && inputs.zeroAtMs !== null && inputs.instanceIds.length > 0 && inputs.zeroAtMs - inputs.nowMs <= windowMs;
}

/**
 * What the balance demands of the alerts now: the events to send and the state to store, or null
 * when nothing changes (then nothing is written).
 */
export function planAlerts(alerts: LedgerAlerts, inputs: AlertInputs): AlertDecision | null {
  const { settings, state } = alerts;
  const events: OutboxEvent[] = [];
  const crossed: string[] = [];
  for (const threshold of settings.thresholds) {
    if (!isBelow(threshold, inputs)) continue; // above it: re-armed
    const key = thresholdKey(threshold);
    crossed.push(key);
    if (!state.crossed.includes(key) || simBroken('threshold_fires_again')) {
      events.push(outboxEvent('balance.threshold_crossed', { threshold, balanceMicros: inputs.spendableMicros, hoursRemaining: inputs.hoursRemaining }));
    }
  }

  let balanceState = state.balanceState;
  if (inputs.spendableMicros <= 0) {
    if (balanceState === 'funded') {
      balanceState = 'depleted';
      events.push(outboxEvent('balance.depleted', { balanceMicros: 0, depletedAt: iso(inputs.nowMs) }));
    }
  } else if (balanceState !== 'funded') {
    // Only credit lifts a balance from 0 (a deposit, a grant, a positive adjustment): usage never does.
    if (balanceState === 'depleted') events.push(outboxEvent('balance.recovered', { balanceMicros: inputs.spendableMicros, hoursRemaining: inputs.hoursRemaining }));
    balanceState = 'funded';
  }

  let warnedZeroAtMs = state.warnedZeroAtMs;
  if (inWarningWindow(settings, inputs)) {
    const zeroAtMs = inputs.zeroAtMs!;
    if (warnedZeroAtMs === null || zeroAtMs < warnedZeroAtMs - WARNING_EARLIER_TOLERANCE_MS) {
      events.push(outboxEvent('instance.termination_scheduled', { predictedAt: iso(zeroAtMs), instanceIds: inputs.instanceIds }));
      warnedZeroAtMs = zeroAtMs;
    }
  } else if (warnedZeroAtMs !== null) {
    // At zero the termination is happening (instance.terminated says so); with warnings turned off
    // nothing more is said; otherwise a deposit, a grant or a stop moved the crossing out of the window.
    if (inputs.spendableMicros > 0 && settings.terminationWarningMinutes > 0) {
      events.push(
        outboxEvent('instance.termination_cancelled', { predictedAt: iso(warnedZeroAtMs), newPredictedAt: inputs.zeroAtMs === null ? null : iso(inputs.zeroAtMs), instanceIds: inputs.instanceIds }),
      );
    }
    warnedZeroAtMs = null;
  }

  const next: AlertState = { crossed, balanceState, warnedZeroAtMs };
  const unchanged = events.length === 0 && balanceState === state.balanceState && warnedZeroAtMs === state.warnedZeroAtMs && sameKeys(crossed, state.crossed);
  return unchanged ? null : { events, next };
}

/**
 * When running resources alone will make the next alert due: a balance threshold passed, an
 * hours threshold reached, the predicted crossing entering the warning window. Null: none is
 * coming without another change (each change runs the rules anyway).
 */
export function nextAlertAtMs(alerts: LedgerAlerts, inputs: AlertInputs): number | null {
  const { settings, state } = alerts;
  const { nowMs, spendableMicros: spendable, runningRateMicrosPerHour: rate, zeroAtMs } = inputs;
  if (rate <= 0 || spendable <= 0) return null;
  const candidates: number[] = [];
  for (const t of settings.thresholds) {
    if (state.crossed.includes(thresholdKey(t))) continue;
    if ('balanceCents' in t) {
      const micros = centsToMicros(t.balanceCents);
      // The first instant the balance is below it (one micro under).
      if (spendable >= micros) candidates.push(nowMs + Math.ceil(((spendable - micros + 1) * MS_PER_HOUR) / rate));
    } else if (zeroAtMs !== null) {
      candidates.push(zeroAtMs - Math.floor(t.hoursRemaining * MS_PER_HOUR));
    }
  }
  const windowMs = settings.terminationWarningMinutes * 60_000;
  if (state.warnedZeroAtMs === null && windowMs > 0 && zeroAtMs !== null && inputs.instanceIds.length > 0) candidates.push(zeroAtMs - windowMs);
  if (candidates.length === 0) return null;
  // Never sooner than a second from now (a prediction a hair early re-arms instead of spinning).
  return Math.max(Math.min(...candidates), nowMs + 1_000);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k) => b.includes(k));
}

/** The stored thresholds (alert_thresholds_json), trusted: only PUT /v1/billing/alerts writes them, validated. */
export function parseThresholds(json: string): AlertThreshold[] {
  const parsed = JSON.parse(json) as AlertThreshold[];
  return Array.isArray(parsed) ? parsed : [];
}

export const parseCrossed = (json: string): string[] => {
  const parsed = JSON.parse(json) as string[];
  return Array.isArray(parsed) ? parsed : [];
};
