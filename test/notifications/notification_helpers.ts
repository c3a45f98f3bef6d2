// Helpers of the notification tests: outbox events written through the real insertOutbox, the
// consumer driven directly, and the EMAIL binding of the test run (wrangler's local simulation of
// Email Service) wrapped so that each test sees what went through it. Not a test file.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { drizzle } from 'drizzle-orm/d1';
import { expect } from 'vitest';
import type { Env, NotificationMessage } from '../../workers/env';
import worker from '../../workers/index';
import { insertOutbox, outboxEvent, type PlatformEventType } from '../../workers/notifications/outbox';
import { internal } from '../helpers/api';
import { shardD1Of } from '../helpers/ledger_checks';

export const PLATFORM_URL = 'https://platform.example.test/burnrate/events';

/** Alerts' emailAdmins, set where the alert settings keep it (the settings route may set it too). */
export async function setEmailAdmins(workspaceId: string, on: boolean) {
  await shardD1Of(workspaceId).prepare('UPDATE ledger_workspaces SET alert_email_admins = ? WHERE workspace_id = ?').bind(on ? 1 : 0, workspaceId).run();
}

/** An event put in the outbox by the function the ledger uses; not enqueued (the tests deliver it). */
export async function putEvent(workspaceId: string, type: PlatformEventType, data: Record<string, unknown>, createdAtMs = Date.now()) {
  const event = outboxEvent(type, data);
  await insertOutbox(drizzle(shardD1Of(workspaceId)), workspaceId, [event], createdAtMs);
  return { ...event, createdAtMs };
}

export interface SentEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  headers: Record<string, string>;
  /** What the simulated Email Service answered. */
  messageId: string;
}

/**
 * The run's real EMAIL binding (miniflare's send_email simulation) behind a recorder: every message
 * the Worker sends is passed on to it and recorded with the Message-ID it answers. `failures`: how
 * many sends to refuse first (as Email Service being unavailable), per recipient when `perRecipient`.
 */
export function recordingEmail(options: { failures?: number; failFor?: (to: string) => boolean } = {}) {
  const sent: SentEmail[] = [];
  const refused: string[] = [];
  let failuresLeft = options.failures ?? 0;
  const binding = {
    async send(message: EmailMessageBuilder) {
      const to = String(message.to);
      if (failuresLeft > 0 || options.failFor?.(to)) {
        failuresLeft = Math.max(0, failuresLeft - 1);
        refused.push(to);
        throw new Error('Email Service unavailable');
      }
      const answer = await env.EMAIL!.send(message);
      sent.push({ from: String(message.from), to, subject: message.subject, text: message.text ?? '', headers: message.headers ?? {}, messageId: answer.messageId });
      return answer;
    },
  } as SendEmail;
  return { binding, sent, refused };
}

let messageCounter = 0;

/** The notification queue's consumer, run on these events as one batch; which were retried. */
export async function deliver(workerEnv: Env, eventIds: string[], attempts = 1) {
  const batch = createMessageBatch<NotificationMessage>(
    'burnrate-notifications',
    eventIds.map((eventId) => ({ id: `notify-msg-${messageCounter++}`, timestamp: new Date(), attempts, body: { eventId } })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, workerEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  const retried = new Set(result.retryMessages.map((m) => m.msgId));
  return batch.messages.map((m, i) => ({ eventId: eventIds[i]!, retried: retried.has(m.id), acked: result.explicitAcks.includes(m.id) }));
}

export interface EmailRow {
  id: string;
  event_id: string;
  workspace_id: string;
  recipient: string;
  subject: string;
  body_text: string;
  created_at_ms: number;
  delivery_state: string;
  attempts: number;
  last_error: string | null;
  lease_until_ms: number | null;
  message_id: string | null;
}

export const emailRowsOf = async (workspaceId: string) =>
  (await shardD1Of(workspaceId).prepare('SELECT * FROM notification_emails WHERE workspace_id = ? ORDER BY recipient, event_id').bind(workspaceId).all<EmailRow>()).results;

export const emailStateOf = async (workspaceId: string, eventId: string) =>
  (await shardD1Of(workspaceId).prepare('SELECT email_state AS s FROM platform_events WHERE id = ?').bind(eventId).first<{ s: string }>())?.s;

export interface NotificationView {
  id: string;
  type: string;
  createdAt: string;
  channel: 'webhook' | 'email';
  recipient: string;
  delivered: boolean;
  data: Record<string, any>;
  eventId: string;
  deliveredAt: string | null;
}

/** One page of the notification log through the internal API. */
export async function notificationPage(workspaceId: string, query = '') {
  const res = await internal('GET', `/internal/v1/workspaces/${workspaceId}/notifications${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { data: NotificationView[]; nextCursor: string | null };
}

/** The whole log, page after page. */
export async function wholeLog(workspaceId: string, limit = 50) {
  const all: NotificationView[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: NotificationView[]; nextCursor: string | null } = await notificationPage(workspaceId, `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    all.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}
