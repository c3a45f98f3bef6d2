import { createRoute, z } from '@hono/zod-openapi';
import { readAutoTopup } from '../../billing/read_auto_topup';
import { saveAutoTopup } from '../../billing/save_auto_topup';
import { MAX_TOPUP_CENTS, MIN_TOPUP_CENTS } from '../../billing/topup_bounds';
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { autoTopupExample } from '../../openapi/examples';
import { AutoTopupSchema, errorResponses, jsonBody, jsonResponse } from '../../openapi/schemas';
import type { Router } from '../router';

// Stripe-facing amounts are cents; a recharge has the bounds of any top-up.
const Body = z.object({
  enabled: z.boolean(),
  thresholdCents: z.int().min(0).max(MAX_TOPUP_CENTS).openapi({ description: 'Recharge when the balance falls below this, in US cents (0 to $10,000).' }),
  topupAmountCents: z.int().min(MIN_TOPUP_CENTS).max(MAX_TOPUP_CENTS).openapi({ description: 'US cents charged per recharge ($5 to $10,000).' }),
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
    'Replaces all three settings. Enabling needs a saved card (from a Checkout top-up, or added with POST /v1/billing/payment-methods), else 409 `payment_method_required`. A balance already below the new threshold recharges at once. Sending the same settings again changes nothing.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: { body: jsonBody(Body, { enabled: true, thresholdCents: 1000, topupAmountCents: 2500 }) },
  responses: {
    200: jsonResponse('The settings now in force.', AutoTopupSchema, autoTopupExample),
    ...errorResponses(
      ['invalid_request', 'topupAmountCents: Too small: expected number to be >=500'],
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
