import { eq } from 'drizzle-orm';
import { platformEvents } from '../../schema/tables';
import type { Env, NotificationMessage } from '../env';
import { iso } from '../lib/time';
import { signatureHeader } from './sign';
import { usableSecret } from '../auth/secret_policy';
import { allShards, shardHandle, type LedgerShard } from '../storage/databases';
import { fanOutEmails, type OutboxRow } from './email_fan_out';
import { sendPendingEmails } from './send_emails';

const TIMEOUT_MS = 10_000;

/**
 * The queue consumer that delivers outbox events: to the platform (the webhook) and, for the
 * events its alerts email, to the workspace's admins (email_fan_out.ts, send_emails.ts). Each
 * channel keeps its own state, so a retry redoes only what is not done yet: a 2xx marks the webhook
 * delivered, a sent email its own row; anything else (or no answer) retries the message with
 * backoff. Redelivery of an already delivered event is skipped, and every attempt carries the same
 * event id, so the platform sees each event once per id even when a retry races an acknowledgement.
 */
export async function deliverEvents(batch: MessageBatch<NotificationMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const found = await findEvent(env, message.body);
    if (!found) {
      message.ack();
      continue;
    }
    const { shard, event } = found;
    const webhookDone = event.deliveryState === 'pending' ? await deliverWebhook(env, shard, event) : true;
    const emailsDone = event.emailState === 'none' ? true : await deliverEmails(env, shard, event);
    if (webhookDone && emailsDone) message.ack();
    else message.retry({ delaySeconds: Math.min(600, 2 ** Math.min(message.attempts, 9)) });
  }
}

/** POSTs the event to PLATFORM_WEBHOOK_URL; true when done with it (acknowledged, or nowhere to send). */
async function deliverWebhook(env: Env, shard: LedgerShard, event: OutboxRow): Promise<boolean> {
  const db = shard.db;
  const nowMs = Date.now();
  // A published signing secret next to a real Stripe key counts as none: nothing is signed with it.
  const secret = usableSecret(env, env.PLATFORM_WEBHOOK_SECRET);
  if (!env.PLATFORM_WEBHOOK_URL || !secret) {
    await db.update(platformEvents).set({ deliveryState: 'not_configured', lastAttemptAtMs: nowMs }).where(eq(platformEvents.id, event.id));
    return true;
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
      webhookUrl: env.PLATFORM_WEBHOOK_URL,
      lastError: error,
      ...(error ? {} : { deliveryState: 'delivered', deliveredAtMs: Date.now() }),
    })
    .where(eq(platformEvents.id, event.id));
  return error === null;
}

/** The admins' emails about the event: written from it first if not yet, then sent; true when all are sent. */
async function deliverEmails(env: Env, shard: LedgerShard, event: OutboxRow): Promise<boolean> {
  try {
    await fanOutEmails(env, shard, event);
    return await sendPendingEmails(env, shard, event.id);
  } catch (error) {
    console.error(JSON.stringify({ level: 'error', msg: 'alert emails not sent; retried', eventId: event.id, error: String(error) }));
    return false;
  }
}

/** The outbox event and the shard holding it: the message's shard, or else every shard asked at once. */
async function findEvent(env: Env, message: NotificationMessage): Promise<{ shard: LedgerShard; event: OutboxRow } | null> {
  const shards = message.shard ? [shardHandle(env, message.shard)] : allShards(env);
  const found = await Promise.all(shards.map(async (shard) => ({ shard, event: await shard.db.select().from(platformEvents).where(eq(platformEvents.id, message.eventId)).get() })));
  const hit = found.find((f) => f.event !== undefined);
  return hit ? { shard: hit.shard, event: hit.event! } : null;
}
