import { eq } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { platformEvents } from '../../schema/tables';
import type { Env, NotificationMessage } from '../env';
import { iso } from '../lib/time';
import { signatureHeader } from './sign';
import { usableSecret } from '../auth/secret_policy';
import { allShards, shardHandle } from '../storage/databases';

const TIMEOUT_MS = 10_000;

/**
 * The queue consumer that delivers outbox events to the platform. A 2xx marks the event delivered;
 * anything else (or no answer) retries the message with backoff. Redelivery of an already
 * delivered event is skipped, and every attempt carries the same event id, so the platform sees
 * each event once per id even when a retry races an acknowledgement.
 */
export async function deliverEvents(batch: MessageBatch<NotificationMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const found = await findEvent(env, message.body);
    const { db, event } = found ?? { db: null, event: undefined };
    if (!db || !event || event.deliveryState !== 'pending') {
      message.ack();
      continue;
    }
    const nowMs = Date.now();
    // A published signing secret next to a real Stripe key counts as none: nothing is signed with it.
    const secret = usableSecret(env, env.PLATFORM_WEBHOOK_SECRET);
    if (!env.PLATFORM_WEBHOOK_URL || !secret) {
      await db.update(platformEvents).set({ deliveryState: 'not_configured', lastAttemptAtMs: nowMs }).where(eq(platformEvents.id, event.id));
      message.ack();
      continue;
    }
    const body = JSON.stringify({ id: event.id, type: event.type, createdAt: iso(event.createdAtMs), workspaceId: event.workspaceId, data: JSON.parse(event.dataJson) });
    let error: string | null = null;
    try {
      const res = await fetch(env.PLATFORM_WEBHOOK_URL, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-burnrate-signature': await signatureHeader(secret, body, Math.floor(nowMs / 1000)),
          'x-burnrate-event-id': event.id,
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) error = `platform answered ${res.status}`;
    } catch (e) {
      error = `delivery failed: ${String(e)}`;
    }
    await db
      .update(platformEvents)
      .set({
        attempts: event.attempts + 1,
        lastAttemptAtMs: nowMs,
        lastError: error,
        ...(error ? {} : { deliveryState: 'delivered', deliveredAtMs: Date.now() }),
      })
      .where(eq(platformEvents.id, event.id));
    if (error) message.retry({ delaySeconds: Math.min(600, 2 ** Math.min(message.attempts, 9)) });
    else message.ack();
  }
}

/** The outbox event and the shard holding it: the message's shard, or else every shard asked at once. */
async function findEvent(env: Env, message: NotificationMessage) {
  const shards = message.shard ? [shardHandle(env, message.shard)] : allShards(env);
  const found = await Promise.all(
    shards.map(async ({ db }) => ({ db: db as DrizzleD1Database, event: await db.select().from(platformEvents).where(eq(platformEvents.id, message.eventId)).get() })),
  );
  return found.find((f) => f.event !== undefined) ?? null;
}
