import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { notificationEmails } from '../../schema/tables';
import type { Env } from '../env';
import { configuredPublicOrigin } from '../billing/public_base_url';
import type { LedgerShard } from '../storage/databases';

/** How long a consumer holds an email it is sending: longer than any send takes. */
export const EMAIL_LEASE_MS = 60_000;

/** Who alert emails come from: EMAIL_FROM, else burnrate@ the host of PUBLIC_BASE_URL; null: neither. */
export function emailSender(env: Env): string | null {
  const configured = env.EMAIL_FROM?.trim();
  if (configured) return configured;
  const origin = configuredPublicOrigin(env);
  return origin ? `burnrate@${new URL(origin).hostname}` : null;
}

/**
 * Sends the pending emails of one outbox event through the EMAIL binding; true when none is left
 * to send (false: the message is retried with backoff, like a webhook the platform did not take).
 *
 * Nothing twice per (event, recipient): the row is unique (email_fan_out.ts), a consumer first
 * takes a lease on it (one UPDATE that only succeeds on a pending row nobody holds) and only the
 * holder sends, then marks it delivered with the binding's Message-ID. A redelivery or the sweep
 * running meanwhile finds it held or delivered and sends nothing. Nothing lost: a failed send
 * releases the lease and the message is retried; a consumer that dies holding a lease leaves a
 * pending row the hourly sweep re-enqueues once the lease has run out. The one window left is a
 * crash between Email Service accepting the message and the `delivered` write: that email is sent
 * again on the retry (at least once, as the webhooks are).
 */
export async function sendPendingEmails(env: Env, shard: LedgerShard, eventId: string): Promise<boolean> {
  const pending = await shard.db
    .select()
    .from(notificationEmails)
    .where(and(eq(notificationEmails.eventId, eventId), eq(notificationEmails.deliveryState, 'pending')))
    .all();
  if (pending.length === 0) return true;
  const from = emailSender(env);
  if (!env.EMAIL || !from) {
    const nowMs = Date.now();
    await shard.db
      .update(notificationEmails)
      .set({ deliveryState: 'not_configured', lastAttemptAtMs: nowMs, lastError: env.EMAIL ? 'no sender address (EMAIL_FROM, PUBLIC_BASE_URL)' : 'no EMAIL binding' })
      .where(and(eq(notificationEmails.eventId, eventId), eq(notificationEmails.deliveryState, 'pending')));
    return true;
  }
  let allSent = true;
  for (const email of pending) {
    const nowMs = Date.now();
    const held = await shard.db
      .update(notificationEmails)
      .set({ leaseUntilMs: nowMs + EMAIL_LEASE_MS, attempts: sql`${notificationEmails.attempts} + 1`, lastAttemptAtMs: nowMs })
      .where(
        and(
          eq(notificationEmails.id, email.id),
          eq(notificationEmails.deliveryState, 'pending'),
          or(isNull(notificationEmails.leaseUntilMs), lt(notificationEmails.leaseUntilMs, nowMs)),
        ),
      )
      .returning({ id: notificationEmails.id })
      .all();
    // Held by another consumer, or by an attempt of ours that died: its lease runs out and this
    // message, retried, finds it free (or delivered). Delivered meanwhile: nothing to do.
    if (held.length === 0) {
      const now = await shard.db.select({ state: notificationEmails.deliveryState }).from(notificationEmails).where(eq(notificationEmails.id, email.id)).get();
      if (now?.state === 'pending') allSent = false;
      continue;
    }
    let messageId: string;
    try {
      messageId = (
        await env.EMAIL.send({
          from,
          to: email.recipient,
          subject: email.subject,
          text: email.bodyText,
          headers: { 'X-Burnrate-Event-Id': email.eventId },
        })
      ).messageId;
    } catch (error) {
      allSent = false;
      await shard.db
        .update(notificationEmails)
        .set({ lastError: `email failed: ${String(error)}`.slice(0, 500), leaseUntilMs: null })
        .where(eq(notificationEmails.id, email.id));
      continue;
    }
    // Sent: should this write fail, the lease stays and keeps retries off it until it runs out.
    await shard.db
      .update(notificationEmails)
      .set({ deliveryState: 'delivered', deliveredAtMs: Date.now(), messageId, lastError: null, leaseUntilMs: null })
      .where(eq(notificationEmails.id, email.id));
  }
  return allSent;
}
