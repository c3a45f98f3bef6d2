import { createRoute, z } from '@hono/zod-openapi';
import { readAutoTopup } from '../../billing/read_auto_topup';
import { saveAutoTopup } from '../../billing/save_auto_topup';
import { MAX_TOPUP_CENTS, MIN_TOPUP_CENTS } from '../../billing/topup_bounds';

/** $100,000,000 a month: far beyond any real cap, and micros of it stay exact integers. */
const MAX_SAFE_MONTHLY_LIMIT_CENTS = 10_000_000_000;
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { autoTopupExample } from '../../openapi/examples';
import { AutoTopupSchema, errorResponses, jsonBody, jsonResponse } from '../../openapi/schemas';
import type { Router } from '../router';

// Stripe-facing amounts are cents; a recharge has the bounds of any top-up.
// A target above the threshold (else a recharge could never lift the balance out of it); a monthly
// cap of at least one minimal recharge ($5). Omitted optional fields mean fixed / none (PUT
// replaces every setting).
const Body = z
  .object({
    enabled: z.boolean(),
    thresholdCents: z.int().min(0).max(MAX_TOPUP_CENTS).openapi({ description: 'Recharge when the balance falls below this, in US cents (0 to $10,000).' }),
    topupAmountCents: z.int().min(MIN_TOPUP_CENTS).max(MAX_TOPUP_CENTS).openapi({ description: 'US cents charged per recharge in fixed mode ($5 to $10,000).' }),
    mode: z.enum(['fixed', 'target']).optional().openapi({ description: 'fixed (default): charge topupAmountCents; target: charge what brings the balance up to targetCents.' }),
    targetCents: z.int().min(0).max(MAX_TOPUP_CENTS).nullable().optional().openapi({ description: 'Required in target mode: above thresholdCents, in US cents.' }),
    monthlyLimitCents: z.int().min(0).max(MAX_SAFE_MONTHLY_LIMIT_CENTS).nullable().optional().openapi({ description: 'Cap on auto-recharge payments per UTC month, in US cents (at least 500); null or omitted = none.' }),
  })
  .superRefine((body, ctx) => {
    const target = body.targetCents ?? null;
    if (body.mode === 'target' && target === null) ctx.addIssue({ code: 'custom', path: ['targetCents'], message: 'required when mode is target' });
    if (target !== null && target <= body.thresholdCents) ctx.addIssue({ code: 'custom', path: ['targetCents'], message: 'must be above thresholdCents' });
    const limit = body.monthlyLimitCents ?? null;
    if (limit !== null && limit < MIN_TOPUP_CENTS) ctx.addIssue({ code: 'custom', path: ['monthlyLimitCents'], message: `must be at least ${MIN_TOPUP_CENTS} (or null for no limit)` });
  });

export const getAutoTopupRoute = createRoute({
  method: 'get',
  path: '/v1/billing/auto-topup',
  operationId: 'getAutoTopup',
  tags: ['Billing'],
  summary: 'Auto-top-up settings',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse('The settings.', AutoTopupSchema, autoTopupExample), ...errorResponses('unauthenticated', 'rate_limited') },
});

export const putAutoTopupRoute = createRoute({
  method: 'put',
  path: '/v1/billing/auto-topup',
  operationId: 'updateAutoTopup',
  tags: ['Billing'],
  summary: 'Change auto-top-up settings (admin)',
  description:
    'Replaces all the settings (omitted mode / targetCents / monthlyLimitCents: fixed, none, none). Enabling needs a saved card (from a Checkout top-up, or added with POST /v1/billing/payment-methods), else 409 `payment_method_required`. A balance already below the new threshold recharges at once. Sending the same settings again changes nothing.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: { body: jsonBody(Body, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 }) },
  responses: {
    200: jsonResponse('The settings now in force.', AutoTopupSchema, autoTopupExample),
    ...errorResponses(
      ['invalid_request', 'targetCents: must be above thresholdCents'],
      'unauthenticated',
      'forbidden',
      'payment_method_required',
      'rate_limited',
    ),
  },
});

export const registerAutoTopupRoutes = (app: Router) =>
  app
    .openapi(getAutoTopupRoute, async (c) => c.json(await readAutoTopup(c.env, c.get('auth').workspaceId), 200))
    .openapi(putAutoTopupRoute, async (c) => c.json(await saveAutoTopup(c.env, c.get('auth').workspaceId, c.req.valid('json')), 200));
