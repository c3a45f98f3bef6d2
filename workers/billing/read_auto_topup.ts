import { eq } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { stripeCustomers, workspaces } from '../../schema/tables';
import { notFound } from '../errors/api_error';
import type { AutoTopupSchema } from '../openapi/schemas';
import type { z } from '@hono/zod-openapi';

export type AutoTopup = z.infer<typeof AutoTopupSchema>;

/** The auto-top-up settings with the saved card, as AutoTopup; shared by /plan, /auto-topup and the dashboard. */
export async function readAutoTopup(db: DrizzleD1Database, workspaceId: string): Promise<AutoTopup> {
  const row = await db
    .select({
      enabled: workspaces.autoTopupEnabled,
      thresholdCents: workspaces.autoTopupThresholdCents,
      topupAmountCents: workspaces.autoTopupAmountCents,
      brand: stripeCustomers.cardBrand,
      last4: stripeCustomers.cardLast4,
      paymentMethodId: stripeCustomers.paymentMethodId,
    })
    .from(workspaces)
    .leftJoin(stripeCustomers, eq(stripeCustomers.workspaceId, workspaces.id))
    .where(eq(workspaces.id, workspaceId))
    .get();
  if (!row) throw notFound('workspace');
  return {
    enabled: row.enabled,
    thresholdCents: row.thresholdCents,
    topupAmountCents: row.topupAmountCents,
    paymentMethod: row.paymentMethodId ? { brand: row.brand ?? 'card', last4: row.last4 ?? '' } : null,
  };
}
