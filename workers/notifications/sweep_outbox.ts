import type { Env } from '../env';
import { allShards } from '../storage/databases';

const STALE_MS = 60_000;
const PAGE = 500;

/**
 * The outbox's safety net, run with the hourly cron: anything still pending a minute after it was
 * written (its enqueue failed, or the queue gave up retrying) is handed to the queue again, from
 * every ledger shard (each message names its shard, so delivery reads that one only).
 */
export async function sweepOutbox(env: Env, nowMs: number): Promise<number> {
  const swept = await Promise.all(
    allShards(env).map(async ({ name, d1 }) => {
      const { results } = await d1
        .prepare("SELECT id FROM platform_events WHERE delivery_state = 'pending' AND created_at_ms < ? ORDER BY created_at_ms LIMIT ?")
        .bind(nowMs - STALE_MS, PAGE)
        .all<{ id: string }>();
      for (let i = 0; i < results.length; i += 100) {
        await env.NOTIFICATION_QUEUE.sendBatch(results.slice(i, i + 100).map((r) => ({ body: { eventId: r.id, shard: name } })));
      }
      return results.length;
    }),
  );
  return swept.reduce((a, b) => a + b, 0);
}
