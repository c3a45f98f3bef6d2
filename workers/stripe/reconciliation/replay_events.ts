import { inArray } from 'drizzle-orm';
import type Stripe from 'stripe';
import { stripeCustomers, stripeEvents } from '../../../schema/tables';
import type { Env } from '../../env';
import { applyStripeEvent, HANDLED_EVENT_TYPES } from '../apply_event';
import { callStripe, stripeFor } from '../stripe_client';
import { repairsSince } from './repairs_since';
import type { Mismatch, Repair } from './report';
import { directoryDb } from '../../storage/databases';

export interface ReplayOutcome {
  eventsScanned: number;
  eventsApplied: number;
  repaired: Repair[];
  failed: Mismatch[];
  /** Where the next run starts listing: the newest event seen, or the oldest that failed. */
  nextCursorSeconds: number | null;
  /** Workspace id -> Stripe customer id, for every workspace whose customer a listed event names: the comparison looks at these too. */
  touchedCustomers: Map<string, string>;
}

const handled = new Set<string>(HANDLED_EVENT_TYPES);

/**
 * Stripe's events created since `fromSeconds`, oldest first, each not yet processed (stripe_events)
 * put through the same fulfilment path as the webhook's. An event that fails is reported and
 * listed again by the next run (the cursor stops before it); the others go on.
 */
export async function replayEvents(env: Env, fromSeconds: number): Promise<ReplayOutcome> {
  const stripe = stripeFor(env);
  const events: Stripe.Event[] = [];
  await callStripe('events', () => stripe.events.list({ created: { gte: fromSeconds }, limit: 100 }).autoPagingEach((event) => void events.push(event)));
  events.reverse(); // Stripe lists newest first

  const outcome: ReplayOutcome = { eventsScanned: events.length, eventsApplied: 0, repaired: [], failed: [], nextCursorSeconds: null, touchedCustomers: new Map() };
  // Every session, PaymentIntent and charge of burnrate's belongs to a workspace's customer: the
  // events of other customers (another product on the same Stripe account) are passed over
  // without a call to Stripe. Disputes name no customer; they are looked up. Only the customers the
  // events name are read, never the whole table (it grows with every workspace that ever paid).
  const workspaceOfCustomer = await workspacesOfCustomers(env, events.map(customerOf).filter((id): id is string => !!id));
  for (const [customerId, workspaceId] of workspaceOfCustomer) outcome.touchedCustomers.set(workspaceId, customerId);
  const ours = events.filter((e) => {
    if (!handled.has(e.type)) return false;
    const customerId = customerOf(e);
    return !customerId || workspaceOfCustomer.has(customerId);
  });
  const processed = await processedIds(env, ours.map((e) => e.id));
  let oldestFailed: number | null = null;
  for (const event of ours) {
    if (processed.has(event.id)) continue;
    const startedAtMs = Date.now();
    try {
      await applyStripeEvent(env, event);
    } catch (error) {
      oldestFailed ??= event.created;
      const object = event.data.object as { id?: string; metadata?: Record<string, string> | null };
      outcome.failed.push({ workspaceId: object.metadata?.workspaceId ?? '', stripeObjectId: object.id ?? event.id, detail: `${event.type} ${event.id} could not be applied: ${String(error)}` });
      continue;
    }
    // Events of objects that are not burnrate's are not recorded: they are not counted.
    const recorded = await directoryDb(env).select({ workspaceId: stripeEvents.workspaceId }).from(stripeEvents).where(inArray(stripeEvents.eventId, [event.id])).get();
    if (!recorded) continue;
    outcome.eventsApplied += 1;
    const objectId = (event.data.object as { id: string }).id;
    if (recorded.workspaceId) outcome.repaired.push(...(await repairsSince(env, recorded.workspaceId, startedAtMs, objectId, `${event.type} ${event.id}`)));
  }
  const newest = events.at(-1)?.created ?? null;
  outcome.nextCursorSeconds = oldestFailed ?? newest;
  return outcome;
}

const customerOf = (event: Stripe.Event): string | null => {
  const customer = (event.data.object as { customer?: string | { id: string } | null }).customer;
  return (typeof customer === 'object' && customer !== null ? customer.id : customer) ?? null;
};

/** customer id -> workspace id, for those of these customers that are burnrate's (in chunks, as below). */
async function workspacesOfCustomers(env: Env, customerIds: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(customerIds)];
  const found = new Map<string, string>();
  for (let i = 0; i < unique.length; i += 90) {
    const rows = await directoryDb(env)
      .select({ customerId: stripeCustomers.customerId, workspaceId: stripeCustomers.workspaceId })
      .from(stripeCustomers)
      .where(inArray(stripeCustomers.customerId, unique.slice(i, i + 90)))
      .all();
    for (const r of rows) found.set(r.customerId, r.workspaceId);
  }
  return found;
}

/** Which of these event ids stripe_events holds (in chunks: D1 binds at most 100 parameters). */
async function processedIds(env: Env, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await directoryDb(env).select({ id: stripeEvents.eventId }).from(stripeEvents).where(inArray(stripeEvents.eventId, ids.slice(i, i + 90))).all();
    for (const r of rows) found.add(r.id);
  }
  return found;
}
