import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { stripeCustomers, workspaces } from '../../../schema/tables';
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { ApiError, notFound } from '../../errors/api_error';
import { AutoTopupSchema, errorResponses, jsonBody, jsonResponse } from '../../openapi/schemas';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import type { Router } from '../router';

// Stripe-facing amounts are cents. A top-up is at least $5 (Stripe Checkout minimum of the product)
// and at most $10,000, as for manual top-ups.
const Body = z.object({
  enabled: z.boolean(),
  thresholdCents: z.int().min(0).max(1_000_000),
  topupAmountCents: z.int().min(500).max(1_000_000),
});

export const getAutoTopupRoute = createRoute({
  method: 'get',
  path: '/v1/billing/auto-topup',
  tags: ['billing'],
  summary: 'Auto-top-up settings',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse('The settings.', AutoTopupSchema), ...errorResponses(401, 429) },
});

export const putAutoTopupRoute = createRoute({
  method: 'put',
  path: '/v1/billing/auto-topup',
  tags: ['billing'],
  summary: 'Change auto-top-up settings (admin)',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: { body: jsonBody(Body) },
  responses: { 200: jsonResponse('The settings now in force.', AutoTopupSchema), ...errorResponses(400, 401, 403, 409, 429) },
});

/** The auto-top-up settings with the saved card, as AutoTopup; shared with GET /plan. */
export async function readAutoTopup(db: ReturnType<typeof drizzle>, workspaceId: string) {
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

export const registerAutoTopupRoutes = (app: Router) =>
  app
    .openapi(getAutoTopupRoute, async (c) => c.json(await readAutoTopup(drizzle(c.env.DB), c.get('auth').workspaceId), 200))
    .openapi(putAutoTopupRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const body = c.req.valid('json');
      const db = drizzle(c.env.DB);
      const current = await readAutoTopup(db, workspaceId);
      if (body.enabled && !current.paymentMethod) {
        throw new ApiError('payment_method_required', 'Save a payment method (complete a top-up) before enabling auto-top-up.');
      }
      await db
        .update(workspaces)
        // Re-enabling starts a fresh count of declines.
        .set({ autoTopupEnabled: body.enabled, autoTopupThresholdCents: body.thresholdCents, autoTopupAmountCents: body.topupAmountCents, ...(body.enabled ? { autoTopupFailures: 0 } : {}) })
        .where(eq(workspaces.id, workspaceId));
      // The ledger object acts on the new settings now (a balance already below the new threshold
      // recharges at once).
      unwrap(await ledgerFor(c.env, workspaceId).reloadSettings(workspaceId));
      return c.json({ ...body, paymentMethod: current.paymentMethod }, 200);
    });
