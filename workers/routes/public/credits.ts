import { createRoute, z } from '@hono/zod-openapi';
import { requireApiKey } from '../../auth/require_api_key';
import { autoTopupExample, creditSummaryExample } from '../../openapi/examples';
import { AutoTopupSchema, CreditSummarySchema, errorResponses, jsonResponse } from '../../openapi/schemas';
import { readCreditSummary } from '../../billing/read_credit_summary';
import { readPlan } from '../../billing/read_plan';
import type { Router } from '../router';

const Plan = z
  .object({ plan: z.object({ id: z.string(), name: z.string() }), credits: CreditSummarySchema, autoTopup: AutoTopupSchema })
  .openapi('Plan', { example: { plan: { id: 'payg', name: 'Pay as you go' }, credits: creditSummaryExample, autoTopup: autoTopupExample } });

export const getPlanRoute = createRoute({
  method: 'get',
  path: '/v1/billing/plan',
  operationId: 'getPlan',
  tags: ['Billing'],
  summary: 'Current plan, credit summary and auto-top-up settings',
  description: 'Everything the billing page opens with, in one call. Any member may read it.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: {
    200: jsonResponse('The plan.', Plan, { plan: { id: 'payg', name: 'Pay as you go' }, credits: creditSummaryExample, autoTopup: autoTopupExample }),
    ...errorResponses(['unauthenticated', 'Missing API key: send it as X-API-Key or Authorization: Bearer.'], 'rate_limited'),
  },
});

export const getCreditsRoute = createRoute({
  method: 'get',
  path: '/v1/billing/credits',
  operationId: 'getCredits',
  tags: ['Billing'],
  summary: 'Credit balance, burn rate and hours remaining',
  description: 'Amounts in micros (1 credit = 1 USD = 1,000,000 micros). `balanceMicros` already has the open hour\'s usage taken off.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse('The credit summary.', CreditSummarySchema, creditSummaryExample), ...errorResponses('unauthenticated', 'rate_limited') },
});

export const registerCreditRoutes = (app: Router) =>
  app
    .openapi(getPlanRoute, async (c) => c.json(await readPlan(c.env, c.get('auth').workspaceId), 200))
    .openapi(getCreditsRoute, async (c) => c.json(await readCreditSummary(c.env, c.get('auth').workspaceId), 200));
