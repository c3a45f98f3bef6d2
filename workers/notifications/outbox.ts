import { sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { platformEvents } from '../../schema/tables';
import { newId } from '../lib/ids';

export type PlatformEventType =
  | 'instance.terminated'
  | 'storage.suspended'
  | 'storage.restored'
  | 'balance.low'
  // Alerts and warnings (workers/ledger/enforcement/alerts/, docs/alerts.md).
  | 'balance.threshold_crossed'
  | 'balance.depleted'
  | 'balance.recovered'
  | 'instance.termination_scheduled'
  | 'instance.termination_cancelled'
  | 'auto_recharge.failed'
  | 'auto_recharge.limit_reached'
  | 'auto_recharge.action_required'
  | 'payment.disputed'
  | 'spend_limit.reached';

/**
 * The events that also go to the workspace's admins by email when its alerts say `emailAdmins`
 * (the contract's "Alerts and warnings"): every alert and warning, and the auto-recharge failures
 * the customer has to act on.
 */
export const EMAILED_EVENT_TYPES = [
  'balance.threshold_crossed',
  'balance.depleted',
  'balance.recovered',
  'instance.termination_scheduled',
  'instance.termination_cancelled',
  'auto_recharge.failed',
  'auto_recharge.action_required',
] as const satisfies readonly PlatformEventType[];

export const isEmailedType = (type: string): boolean => (EMAILED_EVENT_TYPES as readonly string[]).includes(type);

export interface OutboxEvent {
  id: string;
  type: PlatformEventType;
  data: Record<string, unknown>;
}

export const outboxEvent = (type: PlatformEventType, data: Record<string, unknown>): OutboxEvent => ({ id: newId('evt'), type, data });

/**
 * Whether the admins are to be emailed about an event, decided in the event's own INSERT: an
 * emailed type in a workspace whose alerts have emailAdmins on at that moment is `pending` (the
 * consumer writes one email per admin from it), anything else `none`. Written as SQL literals
 * rather than bound defaults, so a row costs no more bound parameters than before (D1 binds 100).
 */
const emailStateOf = (workspaceId: string, type: string) =>
  isEmailedType(type)
    ? sql`(CASE WHEN (SELECT alert_email_admins FROM ledger_workspaces WHERE workspace_id = ${workspaceId}) = 1 THEN 'pending' ELSE 'none' END)`
    : sql`'none'`;

/** The INSERT that puts events in the outbox; it belongs in the batch of the change that caused them. */
export function insertOutbox(db: DrizzleD1Database, workspaceId: string, events: readonly OutboxEvent[], nowMs: number) {
  return db.insert(platformEvents).values(
    events.map((e) => ({ id: e.id, workspaceId, type: e.type, dataJson: JSON.stringify(e.data), createdAtMs: nowMs, emailState: emailStateOf(workspaceId, e.type) })),
  );
}
