// Zero balance: enforcement and the alarm that predicts it.
import { eq } from 'drizzle-orm';
import { ledgerWorkspaces } from '../../../schema/tables';
import { insertOutbox, outboxEvent, type OutboxEvent } from '../../notifications/outbox';
import { maybeAutoRecharge } from '../recharge/auto_recharge';
import type { LedgerContext } from '../state/ledger_context';
import type { LedgerState } from '../state/ledger_state';
import { sendNotifications } from '../state/send_notifications';
import type { EventStore } from '../usage/event_store';
import { MS_PER_HOUR } from '../../usage/exact_cost';
import { retentionDays } from '../../usage/retention';
import type { SettlementSchedule } from '../usage/settlement_alarm';
import { expiryAlarmMs, nothingOpen } from '../rules/blocks/expiry';
import { alertInputsOf } from './alerts/alert_inputs';
import { nextAlertAtMs, planAlerts, type AlertDecision } from './alerts/alert_rules';
import { balanceViewOf, hoursRemaining, lowBalanceHorizonHours, nextAlarmMs, planEnforcement, restoreStatements, terminationStatements, type BalanceView, type Enforcement } from './enforcement_plan';

/** Where the object keeps its workspace's id (in its own storage), for its alarm. */
export const WORKSPACE_ID_KEY = 'workspaceId';

/** What the object's one alarm was last armed for, and the reasons it serves (null: none). */
export interface AlarmPlan {
  alarmAtMs: number | null;
  /** The predicted zero crossing, low-balance horizon, auto-top-up threshold or recharge retry. */
  balanceAtMs: number | null;
  /** Settlement of the oldest hour with anything open (see settlement_alarm.ts). */
  settlementAtMs: number | null;
  pruneAtMs: number | null;
  /** The soonest expiry of a credit block that the alarm removes (nothing open then; see blocks/expiry.ts). */
  expiryAtMs: number | null;
  /** The earliest expiry of an active hold (holds/): the alarm expires it then. */
  holdExpiryAtMs?: number | null;
  /** When running resources make the next alert due: a threshold, the termination warning's window (alerts/). */
  alertAtMs?: number | null;
}

/**
 * Acts on what the balance demands: auto-recharge first, then terminate and suspend at zero,
 * restore storage above it, keep the low-balance flag in step; then re-arms the object's alarm.
 */
export class ZeroBalanceEnforcement {
  /** The alarm as last set (null: none, or not known). */
  alarmAtMs: number | null = null;
  /** Why the alarm was last armed when it was (what checkBalance answers). */
  plan: AlarmPlan = { alarmAtMs: null, balanceAtMs: null, settlementAtMs: null, pruneAtMs: null, expiryAtMs: null };
  private workspaceIdStored = false;

  /** The object found the workspace id already in its storage (read with its shard): no need to write it again. */
  workspaceIdFound(): void {
    this.workspaceIdStored = true;
  }

  constructor(
    private readonly ledger: LedgerContext,
    private readonly storage: DurableObjectStorage,
    private readonly store: EventStore,
    private readonly settlement: SettlementSchedule,
    /** When the earliest active hold expires (holds/hold_book.ts), or null. */
    private readonly holdExpiryAtMs: () => number | null = () => null,
  ) {}

  async enforce(state: LedgerState, nowMs: number): Promise<void> {
    if (!this.workspaceIdStored) {
      await this.storage.put(WORKSPACE_ID_KEY, state.workspaceId);
      this.workspaceIdStored = true;
    }
    // Auto-recharge comes first: a payment that lands may make termination unnecessary.
    await maybeAutoRecharge(this.ledger, state, nowMs);
    // Each step changes what the next one sees (a termination stops the burn, which can make the
    // balance low); three steps reach a fixed point.
    for (let step = 0; step < 3; step++) {
      const view = this.balanceView(state, nowMs);
      const plan = planEnforcement(view, state.flags, state.open.intervals, nowMs, this.horizonHours());
      if (plan.kind === 'none') break;
      await this.applyEnforcement(state, plan, view, nowMs);
    }
    // Alerts and warnings on the balance the steps above leave (alerts/): decided and stored with
    // their outbox rows in one batch, in this turn.
    const view = this.balanceView(state, nowMs);
    const alertInputs = alertInputsOf(state, view, nowMs);
    const alerts = planAlerts(state.alerts, alertInputs);
    if (alerts) await this.applyAlerts(state, alerts, nowMs);
    // One alarm per object serves the predicted zero crossing, the settlement of closed hours and
    // the pruning of events: it is armed for the earliest of the three.
    const balanceAtMs = nextAlarmMs(view, state.flags, nowMs, this.horizonHours());
    const alertAtMs = nextAlertAtMs(state.alerts, alertInputs);
    const settlementAtMs = this.settlement.dueMs(state.open, state.workspaceId, nowMs);
    const pruneAtMs = this.pruneDueMs(state, nowMs);
    const expiry = state.blocks.nextExpiry();
    const expiryDueMs = expiry === null ? null : expiry.atMs > nowMs || nothingOpen(state.open) ? expiry.atMs : expiryAlarmMs(state.blocks.list, state.open, nowMs);
    const expiryAtMs = expiryDueMs === null ? null : Math.max(expiryDueMs, nowMs + 1_000);
    const holdExpiryAtMs = this.holdExpiryAtMs();
    const next = earliest(earliest(earliest(earliest(earliest(balanceAtMs, settlementAtMs), pruneAtMs), expiryAtMs), holdExpiryAtMs), alertAtMs);
    this.plan = { alarmAtMs: next, balanceAtMs, settlementAtMs, pruneAtMs, expiryAtMs, holdExpiryAtMs, alertAtMs };
    if (next !== this.alarmAtMs) {
      if (next === null) await this.storage.deleteAlarm();
      else await this.storage.setAlarm(next);
      this.alarmAtMs = next;
    }
  }

  /**
   * A hold made since the last plan expires at `atMs`: the alarm must fire by then (holds touch no
   * D1, so no enforcement runs after one; the plan keeps it for when the alarm is restored).
   */
  async wakeBy(atMs: number): Promise<void> {
    if (this.plan.alarmAtMs === null || this.plan.alarmAtMs > atMs) this.plan = { ...this.plan, alarmAtMs: atMs, holdExpiryAtMs: atMs };
    // Not known (a fresh life of the object): an alarm armed earlier by a previous life must stand.
    this.alarmAtMs ??= await this.storage.getAlarm();
    if (this.alarmAtMs === null || this.alarmAtMs > atMs) {
      await this.storage.setAlarm(atMs);
      this.alarmAtMs = atMs;
    }
  }

  /**
   * When the oldest stored hour of events leaves the retention window. Null while there is nothing
   * to prune, or while that hour is unsettled and already due (settlement re-arms the alarm).
   */
  private pruneDueMs(state: LedgerState, nowMs: number): number | null {
    const oldestHourMs = this.store.oldestEventHourMs();
    if (oldestHourMs === null) return null;
    const dueMs = oldestHourMs + MS_PER_HOUR + retentionDays(this.ledger.env) * 24 * MS_PER_HOUR;
    if (oldestHourMs >= state.open.settledThroughMs && dueMs <= nowMs) return null;
    return dueMs;
  }

  private balanceView(state: LedgerState, nowMs: number): BalanceView {
    return balanceViewOf(state, nowMs);
  }

  /** The alert state and the events it causes, in one batch; the cache follows once it is durable. */
  private async applyAlerts(state: LedgerState, decision: AlertDecision, nowMs: number): Promise<void> {
    const db = this.ledger.db;
    const ws = state.workspaceId;
    const { next, events } = decision;
    const update = db
      .update(ledgerWorkspaces)
      .set({ alertCrossedJson: JSON.stringify(next.crossed), alertBalanceState: next.balanceState, alertWarnedZeroAtMs: next.warnedZeroAtMs })
      .where(eq(ledgerWorkspaces.workspaceId, ws));
    await (events.length ? db.batch([update, insertOutbox(db, ws, events, nowMs)]) : update);
    state.alerts.state = next;
    await sendNotifications(this.ledger.env, events);
  }

  private horizonHours(): number {
    return lowBalanceHorizonHours(this.ledger.env);
  }

  private async applyEnforcement(state: LedgerState, plan: Exclude<Enforcement, { kind: 'none' }>, view: BalanceView, nowMs: number) {
    const db = this.ledger.db;
    const ws = state.workspaceId;
    let events: OutboxEvent[];
    if (plan.kind === 'terminate') {
      const built = terminationStatements(db, ws, plan);
      events = built.events;
      const [first, ...rest] = [...built.statements, ...(events.length ? [insertOutbox(db, ws, events, nowMs)] : [])];
      await db.batch([first!, ...rest]);
      for (const iv of [...plan.instances, ...plan.volumes]) iv.stoppedAtMs = plan.atMs;
      if (built.suspendStorage) state.flags.storageSuspendedAtMs ??= plan.atMs;
      state.flags.lowBalanceSinceMs ??= plan.atMs;
    } else if (plan.kind === 'restore') {
      const built = restoreStatements(db, ws, plan.atMs);
      events = built.events;
      const [reopen, clear] = built.statements;
      const results = await db.batch([reopen, clear, insertOutbox(db, ws, events, nowMs), built.volumes]);
      for (const v of results[3]) {
        state.open.intervals.push({ resourceId: v.id, memberId: v.memberId, kind: 'volume', instanceType: null, sizeBytes: v.sizeBytes, startedAtMs: plan.atMs, stoppedAtMs: null });
      }
      state.flags.storageSuspendedAtMs = null;
    } else {
      events = plan.low
        ? [
            outboxEvent('balance.low', {
              balanceMicros: view.spendableMicros,
              burnRateMicrosPerHour: view.burnRateMicrosPerHour,
              hoursRemaining: hoursRemaining(view.spendableMicros, view.burnRateMicrosPerHour),
              horizonHours: this.horizonHours(),
            }),
          ]
        : [];
      const flag = db.update(ledgerWorkspaces).set({ lowBalanceSinceMs: plan.low ? plan.atMs : null }).where(eq(ledgerWorkspaces.workspaceId, ws));
      await (events.length ? db.batch([flag, insertOutbox(db, ws, events, nowMs)]) : flag);
      state.flags.lowBalanceSinceMs = plan.low ? plan.atMs : null;
    }
    await sendNotifications(this.ledger.env, events);
  }
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
