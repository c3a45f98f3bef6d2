// The dashboard's "Recent alerts" panel (admins): the workspace's last alert, warning and
// auto-recharge notifications, with how many admins each was emailed to.
import type { Env } from '../env';
import { iso } from '../lib/time';
import { EMAILED_EVENT_TYPES } from '../notifications/outbox';
import { ledgerShardOf } from '../storage/databases';

/** What the panel lists: what is emailed to admins, and the other balance and auto-recharge warnings. */
export const RECENT_ALERT_TYPES: readonly string[] = [...EMAILED_EVENT_TYPES, 'balance.low', 'auto_recharge.limit_reached'];

export interface RecentAlert {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
  /** Admins the email about it reached (0 when emails are off). */
  emailedTo: number;
}

export async function loadRecentAlerts(env: Env, workspaceId: string, limit = 10): Promise<RecentAlert[]> {
  const shard = await ledgerShardOf(env, workspaceId);
  const { results } = await shard.d1
    .prepare(
      `SELECT p.id, p.type, p.created_at_ms, p.data_json,
              (SELECT COUNT(*) FROM notification_emails e WHERE e.event_id = p.id AND e.delivery_state = 'delivered') AS emailed_to
         FROM platform_events p
        WHERE p.workspace_id = ? AND p.type IN (${RECENT_ALERT_TYPES.map(() => '?').join(', ')})
        ORDER BY p.created_at_ms DESC, p.id DESC
        LIMIT ?`,
    )
    .bind(workspaceId, ...RECENT_ALERT_TYPES, limit)
    .all<{ id: string; type: string; created_at_ms: number; data_json: string; emailed_to: number }>();
  return results.map((r) => ({ id: r.id, type: r.type, createdAt: iso(r.created_at_ms), data: JSON.parse(r.data_json) as Record<string, unknown>, emailedTo: r.emailed_to }));
}
