import { and, eq } from 'drizzle-orm';
import { members, notificationEmails, platformEvents, workspaces } from '../../schema/tables';
import type { Env } from '../env';
import { configuredPublicOrigin } from '../billing/public_base_url';
import { newId } from '../lib/ids';
import { directoryDb, type LedgerShard } from '../storage/databases';
import { composeAlertEmail } from './email_message';

/** An outbox event as the consumer reads it. */
export type OutboxRow = typeof platformEvents.$inferSelect;

/**
 * Writes the admins' emails about an event whose email_state is `pending`: one notification_emails
 * row per admin of the workspace (the directory's members with role admin, as they are now), then
 * `done`, in one D1 batch. Rows are unique per (event, recipient) and inserted OR IGNORE, so a
 * second consumer fanning out the same event at the same time (a redelivery, the sweep) adds
 * nothing: no admin ever gets two rows, hence two emails, for one event. If the batch fails,
 * nothing is written and the event stays `pending` for the retry.
 */
export async function fanOutEmails(env: Env, shard: LedgerShard, event: OutboxRow): Promise<void> {
  if (event.emailState !== 'pending') return;
  const admins = await directoryDb(env)
    .select({ email: members.email, workspaceName: workspaces.name })
    .from(members)
    .innerJoin(workspaces, eq(workspaces.id, members.workspaceId))
    .where(and(eq(members.workspaceId, event.workspaceId), eq(members.role, 'admin')))
    .all();
  const origin = configuredPublicOrigin(env);
  const data = JSON.parse(event.dataJson) as Record<string, unknown>;
  const recipients = new Map<string, string>();
  for (const a of admins) {
    const address = a.email.trim().toLowerCase();
    if (address && !recipients.has(address)) recipients.set(address, a.workspaceName);
  }
  // One INSERT per recipient: each binds a dozen values and D1 binds at most 100 per statement.
  const inserts = [...recipients].map(([recipient, workspaceName]) => {
    const { subject, text } = composeAlertEmail(event.type, data, workspaceName, origin ? `${origin}/dashboard` : null);
    return shard.db
      .insert(notificationEmails)
      .values({ id: newId('eml'), eventId: event.id, workspaceId: event.workspaceId, recipient, subject, bodyText: text, createdAtMs: event.createdAtMs })
      .onConflictDoNothing();
  });
  const done = shard.db.update(platformEvents).set({ emailState: 'done' }).where(and(eq(platformEvents.id, event.id), eq(platformEvents.emailState, 'pending')));
  await shard.db.batch([done, ...inserts]);
}
