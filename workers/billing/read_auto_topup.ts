import { eq } from 'drizzle-orm';
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import { stripeCustomers, workspaces } from '../../schema/tables';
import type { Env } from '../env';
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

/** readAutoTopup on the deployment's D1, for callers that hold only the env (the /auto-topup route). */
export const readWorkspaceAutoTopup = (env: Env, workspaceId: string): Promise<AutoTopup> => readAutoTopup(drizzle(env.DB), workspaceId);
