import { eq } from 'drizzle-orm';
import { stripeCustomers, workspaces } from '../../schema/tables';
import type { Env } from '../env';
import { callStripe, stripeFor } from './stripe_client';
import { directoryDb } from '../storage/databases';

/** The workspace's Stripe customer, created once (Stripe's idempotency key makes a race harmless). */
export async function ensureCustomer(env: Env, workspaceId: string): Promise<string> {
  const db = directoryDb(env);
  const existing = await db.select({ customerId: stripeCustomers.customerId }).from(stripeCustomers).where(eq(stripeCustomers.workspaceId, workspaceId)).get();
  if (existing) return existing.customerId;
  const workspace = await db.select({ name: workspaces.name }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
  const customer = await callStripe('customer', () =>
    stripeFor(env).customers.create({ name: workspace?.name, metadata: { workspaceId } }, { idempotencyKey: `burnrate-customer-${workspaceId}` }),
  );
  await db.insert(stripeCustomers).values({ workspaceId, customerId: customer.id, updatedAtMs: Date.now() }).onConflictDoNothing();
  return customer.id;
}
