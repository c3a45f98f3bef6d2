import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { platformEvents } from '../../schema/tables';
import { newId } from '../lib/ids';

export type PlatformEventType =
  | 'instance.terminated'
  | 'storage.suspended'
  | 'storage.restored'
  | 'balance.low'
  | 'auto_recharge.failed'
  | 'auto_recharge.limit_reached'
  | 'auto_recharge.action_required'
  | 'payment.disputed'
  | 'spend_limit.reached'
  // Alerts and warnings (workers/ledger/alerts/, docs/alerts.md).
  | 'balance.threshold_crossed'
  | 'balance.depleted'
  | 'balance.recovered'
  | 'instance.termination_scheduled'
  | 'instance.termination_cancelled';

export interface OutboxEvent {
  id: string;
  type: PlatformEventType;
  data: Record<string, unknown>;
}

export const outboxEvent = (type: PlatformEventType, data: Record<string, unknown>): OutboxEvent => ({ id: newId('evt'), type, data });

/** The INSERT that puts events in the outbox; it belongs in the batch of the change that caused them. */
export function insertOutbox(db: DrizzleD1Database, workspaceId: string, events: readonly OutboxEvent[], nowMs: number) {
  return db.insert(platformEvents).values(
    events.map((e) => ({ id: e.id, workspaceId, type: e.type, dataJson: JSON.stringify(e.data), createdAtMs: nowMs })),
  );
}
