import type { Env } from '../../env';
import type { OutboxEvent } from '../../notifications/outbox';

// The outbox rows are committed; handing them to the queue is best effort here, and the hourly
// sweep re-enqueues anything still pending.
export async function sendNotifications(env: Env, events: readonly OutboxEvent[]) {
  if (events.length === 0) return;
  try {
    await env.NOTIFICATION_QUEUE.sendBatch(events.map((e) => ({ body: { eventId: e.id } })));
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'notification enqueue failed; the sweep will retry', error: String(error) }));
  }
}
