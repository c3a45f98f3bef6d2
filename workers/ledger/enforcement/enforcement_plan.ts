import type { Env } from '../../env';
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { resourceIntervals, resources, ledgerWorkspaces } from '../../../schema/tables';
import { centsToMicros } from '../../lib/money';
import { iso } from '../../lib/time';
import { outboxEvent, type OutboxEvent } from '../../notifications/outbox';
import type { IntervalRow } from '../../usage/price_hour';
import { rechargeRetryAtMs } from '../recharge/recharge_retry';
import { spendableMicros } from '../state/ledger_context';
import type { LedgerState } from '../state/ledger_state';
import { predictZeroAtMs } from '../rules/blocks/zero_prediction';

/** Hours the balance lasts at this burn, for people (not money: a float, two decimals); null at zero burn. */
export const hoursRemaining = (balanceMicros: number, burnRateMicrosPerHour: number): number | null =>
  burnRateMicrosPerHour > 0 ? Math.floor((balanceMicros / burnRateMicrosPerHour) * 100) / 100 : null;

/** LOW_BALANCE_HORIZON_HOURS as enforcement reads it (24 unless set to a number >= 0). */
export function lowBalanceHorizonHours(env: Env): number {
  const hours = Number(env.LOW_BALANCE_HORIZON_HOURS ?? 24);
  return Number.isFinite(hours) && hours >= 0 ? hours : 24;
}

const MAX_ALARM_AHEAD_MS = 7 * 24 * 3_600_000;

export interface WorkspaceFlags {
  storageSuspendedAtMs: number | null;
  lowBalanceSinceMs: number | null;
  autoTopupEnabled: boolean;
  autoTopupThresholdCents: number;
  autoTopupAmountCents: number;
  autoTopupFailures: number;
  autoRechargeCrossingAtMs: number | null;
  stripeCustomerId: string | null;
  paymentMethodId: string | null;
}

export interface BalanceView {
  spendableMicros: number;
  burnRateMicrosPerHour: number;
  /** What running resources accrue per hour (the part that keeps draining with no new usage). */
  runningRateMicrosPerHour: number;
  /**
   * The zero crossing counting the scheduled expiries of credit blocks (blocks/zero_prediction.ts);
   * undefined when no block expires (then spendable / running rate says it).
   */
  zeroAtMs?: number | null;
}

/** The balance as enforcement sees it at `nowMs` (the alarm, the alerts, the quiet checks share it). */
export function balanceViewOf(state: LedgerState, nowMs: number): BalanceView {
  const runningRateMicrosPerHour = state.open.runningRateMicrosPerHour(nowMs, state.book);
  return {
    spendableMicros: spendableMicros(state, nowMs),
    burnRateMicrosPerHour: state.open.burnRateMicrosPerHour(nowMs, state.book),
    runningRateMicrosPerHour,
    // Scheduled expiries bring the zero crossing forward (only computed when a block expires).
    zeroAtMs:
      state.blocks.nextExpiry() === null
        ? undefined
        : predictZeroAtMs(state.blocks.list, state.open.accumulatingMicros(nowMs, state.book), runningRateMicrosPerHour, nowMs),
  };
}

export type Enforcement =
  | { kind: 'terminate'; atMs: number; instances: IntervalRow[]; volumes: IntervalRow[] }
  | { kind: 'restore'; atMs: number }
  | { kind: 'low_balance'; atMs: number; low: boolean }
  | { kind: 'none' };

/**
 * Decides what the balance now demands, in order of precedence: at zero, terminate running
 * instances and suspend storage; above zero after a suspension, restore storage; otherwise keep the
 * low-balance flag in step (one balance.low per crossing).
 */
export function planEnforcement(view: BalanceView, flags: WorkspaceFlags, intervals: readonly IntervalRow[], nowMs: number, horizonHours: number): Enforcement {
  const running = intervals.filter((iv) => iv.stoppedAtMs === null && iv.startedAtMs <= nowMs);
  const instances = running.filter((iv) => iv.kind === 'instance');
  const volumes = running.filter((iv) => iv.kind === 'volume');
  if (view.spendableMicros <= 0 && running.length > 0) return { kind: 'terminate', atMs: nowMs, instances, volumes };
  if (view.spendableMicros > 0 && flags.storageSuspendedAtMs !== null) return { kind: 'restore', atMs: nowMs };
  const hoursLeft = view.burnRateMicrosPerHour > 0 ? view.spendableMicros / view.burnRateMicrosPerHour : Infinity;
  const belowThreshold = flags.autoTopupEnabled && view.spendableMicros < centsToMicros(flags.autoTopupThresholdCents);
  // At the horizon counts as below it: the alarm is set for exactly that instant.
  return lowBalanceStep(hoursLeft <= horizonHours || belowThreshold, flags, nowMs);
}

function lowBalanceStep(low: boolean, flags: WorkspaceFlags, nowMs: number): Enforcement {
  if (low === (flags.lowBalanceSinceMs !== null)) return { kind: 'none' };
  return { kind: 'low_balance', atMs: nowMs, low };
}

/**
 * The zero crossing that terminates what runs: running resources draining the balance, or a
 * scheduled expiry first. Null while nothing runs or the balance is already 0 (what the alarm, the
 * low-balance horizon and the termination warning of alerts/ count from).
 */
export function predictedZeroAtMs(view: BalanceView, nowMs: number): number | null {
  if (view.runningRateMicrosPerHour <= 0 || view.spendableMicros <= 0) return null;
  const burnZeroAtMs = nowMs + Math.ceil((view.spendableMicros * 3_600_000) / view.runningRateMicrosPerHour);
  return view.zeroAtMs != null ? Math.min(view.zeroAtMs, burnZeroAtMs) : burnZeroAtMs;
}

/** When to wake up next: the predicted zero crossing, or the low-balance horizon before it. */
export function nextAlarmMs(view: BalanceView, flags: WorkspaceFlags, nowMs: number, horizonHours: number): number | null {
  // An auto-recharge declined within this crossing is tried again an hour later, burn or no burn.
  const retryAtMs = rechargeRetryAtMs(flags);
  const zeroAtMs = predictedZeroAtMs(view, nowMs);
  if (zeroAtMs === null) return retryAtMs === null ? null : Math.max(retryAtMs, nowMs + 1_000);
  const msUntil = (micros: number) => Math.ceil((micros * 3_600_000) / view.runningRateMicrosPerHour);
  const candidates = [zeroAtMs];
  const lowAtMs = zeroAtMs - horizonHours * 3_600_000;
  if (flags.lowBalanceSinceMs === null && lowAtMs > nowMs) candidates.push(lowAtMs);
  // Running resources alone can take the balance below the auto-top-up threshold: wake up then.
  const thresholdMicros = centsToMicros(flags.autoTopupThresholdCents);
  if (flags.autoTopupEnabled && flags.paymentMethodId && flags.autoRechargeCrossingAtMs === null && view.spendableMicros > thresholdMicros) {
    candidates.push(nowMs + msUntil(view.spendableMicros - thresholdMicros));
  }
  if (retryAtMs !== null) candidates.push(retryAtMs);
  const next = Math.min(...candidates);
  // Never sooner than a second from now (a prediction a hair early re-arms instead of spinning),
  // and never further than a week: setAlarm refuses dates centuries away, and a far prediction is
  // better re-evaluated than trusted.
  return Math.min(Math.max(next, nowMs + 1_000), nowMs + MAX_ALARM_AHEAD_MS);
}

export function terminationStatements(db: DrizzleD1Database, workspaceId: string, plan: Extract<Enforcement, { kind: 'terminate' }>) {
  const events: OutboxEvent[] = plan.instances.map((iv) =>
    outboxEvent('instance.terminated', { instanceId: iv.resourceId, instanceType: iv.instanceType, memberId: iv.memberId || null, reason: 'zero_balance', terminatedAt: iso(plan.atMs) }),
  );
  const statements = [];
  const instanceIds = plan.instances.map((iv) => iv.resourceId);
  const volumeIds = plan.volumes.map((iv) => iv.resourceId);
  if (instanceIds.length > 0) {
    statements.push(
      db.update(resources).set({ stoppedAtMs: plan.atMs, stopReason: 'zero_balance' }).where(and(inArray(resources.id, instanceIds), isNull(resources.stoppedAtMs))),
    );
  }
  const meteredIds = [...instanceIds, ...volumeIds];
  if (meteredIds.length > 0) {
    statements.push(
      db.update(resourceIntervals).set({ stoppedAtMs: plan.atMs }).where(and(inArray(resourceIntervals.resourceId, meteredIds), isNull(resourceIntervals.stoppedAtMs))),
    );
  }
  const suspendStorage = volumeIds.length > 0;
  if (suspendStorage) {
    events.push(outboxEvent('storage.suspended', { volumeIds, reason: 'zero_balance', suspendedAt: iso(plan.atMs) }));
  }
  statements.push(
    db
      .update(ledgerWorkspaces)
      .set({
        terminatedAtMs: instanceIds.length > 0 ? plan.atMs : sql`${ledgerWorkspaces.terminatedAtMs}`,
        storageSuspendedAtMs: sql`COALESCE(${ledgerWorkspaces.storageSuspendedAtMs}, ${suspendStorage ? plan.atMs : null})`,
        lowBalanceSinceMs: sql`COALESCE(${ledgerWorkspaces.lowBalanceSinceMs}, ${plan.atMs})`,
      })
      .where(eq(ledgerWorkspaces.workspaceId, workspaceId)),
  );
  return { statements, events, suspendStorage };
}

/** Reopens metering of every volume still kept, from now, and clears the suspension. The last
 * statement reads the volumes back so the caller can meter them in memory too. */
export function restoreStatements(db: DrizzleD1Database, workspaceId: string, atMs: number) {
  const events = [outboxEvent('storage.restored', { restoredAt: iso(atMs) })];
  const statements = [
    db
      .insert(resourceIntervals)
      .select(
        sql`SELECT id, workspace_id, ${atMs}, NULL, NULL, size_bytes FROM resources
             WHERE workspace_id = ${workspaceId} AND kind = 'volume' AND stopped_at_ms IS NULL`,
      )
      .onConflictDoNothing(),
    db.update(ledgerWorkspaces).set({ storageSuspendedAtMs: null }).where(and(eq(ledgerWorkspaces.workspaceId, workspaceId), isNotNull(ledgerWorkspaces.storageSuspendedAtMs))),
  ] as const;
  const volumes = db
    .select({ id: resources.id, memberId: resources.memberId, sizeBytes: resources.sizeBytes })
    .from(resources)
    .where(and(eq(resources.workspaceId, workspaceId), eq(resources.kind, 'volume'), isNull(resources.stoppedAtMs)));
  return { statements, events, volumes };
}
