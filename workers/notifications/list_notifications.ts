import type { Env } from '../env';
import { iso } from '../lib/time';
import { ledgerShardOf } from '../storage/databases';
import { decodeNotificationCursor, encodeNotificationCursor } from './notification_cursor';

/** What the log shows as the recipient of a webhook when PLATFORM_WEBHOOK_URL is not configured. */
export const UNCONFIGURED_WEBHOOK_RECIPIENT = 'platform_webhook';

export interface NotificationView {
  id: string;
  type: string;
  createdAt: string;
  channel: 'webhook' | 'email';
  recipient: string;
  delivered: boolean;
  data: Record<string, unknown>;
  /** The outbox event it is about (a webhook's own id; for an email, the event that caused it). */
  eventId: string;
  deliveredAt: string | null;
}

/**
 * A webhook's recipient: the URL it was POSTed to; before its first attempt, where it will go
 * (PLATFORM_WEBHOOK_URL now); never sent for want of a URL, `platform_webhook`.
 */
function webhookRecipient(env: Env, r: LogRow): string {
  if (r.webhook_url) return r.webhook_url;
  if (r.delivery_state === 'pending' && env.PLATFORM_WEBHOOK_URL) return env.PLATFORM_WEBHOOK_URL;
  return UNCONFIGURED_WEBHOOK_RECIPIENT;
}

interface LogRow {
  id: string;
  event_id: string;
  type: string;
  created_at_ms: number;
  channel: 'webhook' | 'email';
  recipient: string | null;
  webhook_url: string | null;
  delivery_state: string;
  delivered_at_ms: number | null;
  data_json: string;
}

// Both channels, each branch keyset-bounded on its (workspace_id, created_at_ms) index, merged in
// one order: newest first, then by id (an event's own webhook sorts before its emails: evt_ > eml_).
const PAGE_SQL = `
SELECT * FROM (
  SELECT id, id AS event_id, type, created_at_ms, 'webhook' AS channel, NULL AS recipient, webhook_url, delivery_state, delivered_at_ms, data_json
    FROM platform_events
   WHERE workspace_id = ? AND (created_at_ms < ? OR (created_at_ms = ? AND id < ?))
  UNION ALL
  SELECT e.id, e.event_id, p.type, e.created_at_ms, 'email' AS channel, e.recipient, NULL AS webhook_url, e.delivery_state, e.delivered_at_ms, p.data_json
    FROM notification_emails e JOIN platform_events p ON p.id = e.event_id
   WHERE e.workspace_id = ? AND (e.created_at_ms < ? OR (e.created_at_ms = ? AND e.id < ?))
)
ORDER BY created_at_ms DESC, id DESC
LIMIT ?`;

/**
 * Every notification sent about a workspace, newest first: each outbox event as its webhook, and
 * each admin email written from one. An unknown workspace is a 404 (ledgerShardOf).
 */
export async function listNotifications(env: Env, workspaceId: string, query: { cursor?: string; limit: number }) {
  // Past the newest possible row: Number.MAX_SAFE_INTEGER ms and an id above every id ('~' > [a-z0-9_]).
  const after = query.cursor ? decodeNotificationCursor(query.cursor) : { createdAtMs: Number.MAX_SAFE_INTEGER, id: '~' };
  const shard = await ledgerShardOf(env, workspaceId);
  const { results } = await shard.d1
    .prepare(PAGE_SQL)
    .bind(workspaceId, after.createdAtMs, after.createdAtMs, after.id, workspaceId, after.createdAtMs, after.createdAtMs, after.id, query.limit + 1)
    .all<LogRow>();
  const page = results.slice(0, query.limit);
  const last = page.at(-1);
  return {
    data: page.map((r): NotificationView => ({
      id: r.id,
      type: r.type,
      createdAt: iso(r.created_at_ms),
      channel: r.channel,
      recipient: r.channel === 'email' ? r.recipient! : webhookRecipient(env, r),
      delivered: r.delivery_state === 'delivered',
      data: JSON.parse(r.data_json) as Record<string, unknown>,
      eventId: r.event_id,
      deliveredAt: r.delivered_at_ms === null ? null : iso(r.delivered_at_ms),
    })),
    nextCursor: results.length > query.limit && last ? encodeNotificationCursor({ createdAtMs: last.created_at_ms, id: last.id }) : null,
  };
}
