import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { workspaces } from '../../../schema/tables';
import { requireApiKey } from '../../auth/require_api_key';
import { notFound } from '../../errors/api_error';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import type { CreditSummary } from '../../ledger/ledger_types';
import { AutoTopupSchema, CreditSummarySchema, errorResponses, jsonResponse } from '../../openapi/schemas';
import { readAutoTopup } from './auto_topup';
import type { Router } from '../router';

const publicSummary = ({ openSinceMs: _internal, ...summary }: CreditSummary) => summary;

const PLAN_NAMES: Record<string, string> = { payg: 'Pay as you go' };

const Plan = z
  .object({ plan: z.object({ id: z.string(), name: z.string() }), credits: CreditSummarySchema, autoTopup: AutoTopupSchema })
  .openapi('Plan');

export const getPlanRoute = createRoute({
  method: 'get',
  path: '/v1/billing/plan',
  tags: ['billing'],
  summary: 'Current plan, credit summary and auto-top-up settings',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse('The plan.', Plan), ...errorResponses(401, 429) },
});

export const getCreditsRoute = createRoute({
  method: 'get',
  path: '/v1/billing/credits',
  tags: ['billing'],
  summary: 'Credit balance, burn rate and hours remaining',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse('The credit summary.', CreditSummarySchema), ...errorResponses(401, 429) },
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
