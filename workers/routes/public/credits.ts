import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { workspaces } from '../../../schema/tables';
import { requireApiKey } from '../../auth/require_api_key';
import { notFound } from '../../errors/api_error';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import type { CreditSummary } from '../../ledger/ledger_types';
import { autoTopupExample, creditSummaryExample } from '../../openapi/examples';
import { AutoTopupSchema, CreditSummarySchema, errorResponses, jsonResponse } from '../../openapi/schemas';
import { readAutoTopup } from '../../billing/read_auto_topup';
import type { Router } from '../router';

const publicSummary = ({ openSinceMs: _internal, ...summary }: CreditSummary) => summary;

const PLAN_NAMES: Record<string, string> = { payg: 'Pay as you go' };

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
    .openapi(getPlanRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const db = drizzle(c.env.DB);
      const [summary, workspace, autoTopup] = await Promise.all([
        ledgerFor(c.env, workspaceId).creditSummary(workspaceId),
        db.select({ planId: workspaces.planId }).from(workspaces).where(eq(workspaces.id, workspaceId)).get(),
        readAutoTopup(db, workspaceId),
      ]);
      if (!workspace) throw notFound('workspace');
      return c.json(
        {
          plan: { id: workspace.planId, name: PLAN_NAMES[workspace.planId] ?? workspace.planId },
          credits: publicSummary(unwrap(summary).value),
          autoTopup,
        },
        200,
      );
    })
    .openapi(getCreditsRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      return c.json(publicSummary(unwrap(await ledgerFor(c.env, workspaceId).creditSummary(workspaceId)).value), 200);
    });
