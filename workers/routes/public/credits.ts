import { createRoute, z } from '@hono/zod-openapi';
import { requireApiKey } from '../../auth/require_api_key';
import { autoTopupExample, creditBlockExample, creditSummaryExample } from '../../openapi/examples';
import { AutoTopupSchema, CreditBlockSchema, CreditSummarySchema, errorResponses, jsonResponse } from '../../openapi/schemas';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { publicSummary, readCreditSummary } from '../../billing/read_credit_summary';
import { readPlan } from '../../billing/read_plan';
import { farCreditSummary, reportFarSpends } from '../../regions/far_reads';
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

const CreditBlocks = z.object({ data: z.array(CreditBlockSchema) }).openapi('CreditBlockList');

export const getCreditBlocksRoute = createRoute({
  method: 'get',
  path: '/v1/billing/credit-blocks',
  operationId: 'listCreditBlocks',
  tags: ['Billing'],
  summary: 'Credit blocks with credit left, in the order they are spent',
  description:
    'Every credit that entered the workspace is a block: `paid` (deposits, auto-recharges) or `promotional` (grants, positive adjustments). Debits take from them in this order: lower priority first, then the soonest expiry (never-expiring last), then promotional before paid, then the oldest. Any member may read it.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse('The open blocks.', CreditBlocks, { data: [creditBlockExample] }), ...errorResponses('unauthenticated', 'rate_limited') },
});

export const registerCreditRoutes = (app: Router) =>
  app
    .openapi(getPlanRoute, async (c) => {
      const workspaceId = c.get('auth').workspaceId;
      await reportFarSpends(c.env, c.req.raw, workspaceId);
      return c.json(await readPlan(c.env, workspaceId), 200);
    })
    .openapi(getCreditsRoute, async (c) => {
      // The summary is the home ledger's (in its memory, not in D1): from a far region, the
      // regional object's copy of it, taken after that region's own writes (docs/regions.md).
      const workspaceId = c.get('auth').workspaceId;
      const far = await farCreditSummary(c.env, c.req.raw, workspaceId);
      return c.json(far ? publicSummary(far) : await readCreditSummary(c.env, workspaceId), 200);
    })
    .openapi(getCreditBlocksRoute, async (c) => {
      const workspaceId = c.get('auth').workspaceId;
      return c.json({ data: unwrap(await ledgerFor(c.env, workspaceId).creditBlocks(workspaceId)).value }, 200);
    });
