import { eq } from 'drizzle-orm';
import { stripeEvents } from '../../schema/tables';
import type { Env } from '../env';
import { directoryDb } from '../storage/databases';

export type StripeEventRef = { id: string; type: string };

/**
 * Marks a Stripe event processed when it moved nothing (a session still unpaid, a payment still
 * processing, a refund of nothing ours to take): events that do move money are recorded by the
 * ledger object, in the directory, once their effect has committed in the workspace's shard.
 */
export const recordEvent = (env: Env, event: StripeEventRef, workspaceId: string | null) =>
  directoryDb(env).insert(stripeEvents).values({ eventId: event.id, type: event.type, workspaceId, processedAtMs: Date.now() }).onConflictDoNothing();

/** Whether the event was processed already (recorded in the directory's stripe_events). */
export async function isEventProcessed(env: Env, eventId: string): Promise<boolean> {
  const row = await directoryDb(env).select({ id: stripeEvents.eventId }).from(stripeEvents).where(eq(stripeEvents.eventId, eventId)).get();
  return row !== undefined;
}
