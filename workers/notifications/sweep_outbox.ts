import type { Env } from '../env';

const STALE_MS = 60_000;
const PAGE = 500;

/**
 * The outbox's safety net, run with the hourly cron: anything still pending a minute after it was
 * written (its enqueue failed, or the queue gave up retrying) is handed to the queue again.
 */
export async function sweepOutbox(env: Env, nowMs: number): Promise<number> {
  const { results } = await env.DB.prepare(
    "SELECT id FROM platform_events WHERE delivery_state = 'pending' AND created_at_ms < ? ORDER BY created_at_ms LIMIT ?",
  )
    .bind(nowMs - STALE_MS, PAGE)
    .all<{ id: string }>();
  for (let i = 0; i < results.length; i += 100) {
    await env.NOTIFICATION_QUEUE.sendBatch(results.slice(i, i + 100).map((r) => ({ body: { eventId: r.id } })));
  }
  return results.length;
}
