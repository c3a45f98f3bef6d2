import { stripeEvents } from '../../schema/tables';
import type { Env } from '../env';
import { directoryDb } from '../storage/databases';

export type StripeEventRef = { id: string; type: string };

/**
 * Marks a Stripe event processed when it moved nothing (a session still unpaid, a payment still
 * processing, a refund of nothing ours to take): events that do move money are recorded by the
 * ledger object in the same batch as their effect instead.
 */
export const recordEvent = (env: Env, event: StripeEventRef, workspaceId: string | null) =>
  directoryDb(env).insert(stripeEvents).values({ eventId: event.id, type: event.type, workspaceId, processedAtMs: Date.now() }).onConflictDoNothing();
