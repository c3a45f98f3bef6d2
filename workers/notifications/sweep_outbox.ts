import type { Env } from '../env';
import { allShards } from '../storage/databases';

const STALE_MS = 60_000;
const PAGE = 500;

/**
 * The outbox's safety net, run with the hourly cron: any event with something still to deliver a
 * minute after it was written (its enqueue failed, or the queue gave up retrying) is handed to the
 * queue again, from every ledger shard (each message names its shard, so delivery reads that one
 * only). Something to deliver: the webhook still pending, the admins' emails not yet written from
 * it, or one of its emails pending and not held by a consumer sending it (send_emails.ts).
 */
export async function sweepOutbox(env: Env, nowMs: number): Promise<number> {
  const swept = await Promise.all(
    allShards(env).map(async ({ name, d1 }) => {
      const cutoffMs = nowMs - STALE_MS;
      const [webhooks, fanOuts, emails] = await d1.batch<{ id: string }>([
        d1.prepare("SELECT id FROM platform_events WHERE delivery_state = 'pending' AND created_at_ms < ? ORDER BY created_at_ms LIMIT ?").bind(cutoffMs, PAGE),
        d1.prepare("SELECT id FROM platform_events WHERE email_state = 'pending' AND created_at_ms < ? ORDER BY created_at_ms LIMIT ?").bind(cutoffMs, PAGE),
        d1
          .prepare(
            "SELECT event_id AS id FROM notification_emails WHERE delivery_state = 'pending' AND created_at_ms < ? AND (lease_until_ms IS NULL OR lease_until_ms < ?) GROUP BY event_id ORDER BY MIN(created_at_ms) LIMIT ?",
          )
          .bind(cutoffMs, nowMs, PAGE),
      ]);
      const ids = [...new Set([webhooks!, fanOuts!, emails!].flatMap((r) => r.results.map((row) => row.id)))];
      for (let i = 0; i < ids.length; i += 100) {
        await env.NOTIFICATION_QUEUE.sendBatch(ids.slice(i, i + 100).map((id) => ({ body: { eventId: id, shard: name } })));
      }
      return ids.length;
    }),
  );
  return swept.reduce((a, b) => a + b, 0);
}
