import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../errors/api_error';
import { EX } from '../../openapi/examples';
import { errorResponses, jsonResponse } from '../../openapi/schemas';
import { lastReconciliation, reconcileWithStripe } from '../../stripe/reconcile';
import type { Router } from '../router';

const ReconciliationReportSchema = z
  .object({
    startedAt: z.string(),
    finishedAt: z.string(),
    eventsScanned: z.int().openapi({ description: "Stripe events listed since the last run's cursor (minus a 10-minute overlap)." }),
    eventsApplied: z.int().openapi({ description: 'Events not processed before (their webhook never arrived, or failed) that concerned burnrate and were applied now.' }),
    pendingResolved: z.int().openapi({ description: "Deposits pending for over 30 minutes that Stripe's record settled (completed or failed)." }),
    repaired: z
      .array(z.object({ workspaceId: z.string(), stripeObjectId: z.string(), transactionId: z.string(), what: z.string() }))
      .openapi({ description: 'Ledger entries this run made or settled.' }),
    mismatches: z
      .array(z.object({ workspaceId: z.string(), stripeObjectId: z.string(), detail: z.string() }))
      .openapi({ description: 'Disagreements between Stripe and the ledger left for a person (nothing is changed for them).' }),
  })
  .openapi('ReconciliationReport', {
    description:
      "One reconciliation with Stripe: its events replayed through the webhook's path, long-pending deposits looked up, and paid, refunded and disputed amounts per workspace compared with the ledger.",
  });

const reportExample = {
  startedAt: '2026-11-21T11:00:00.120Z',
  finishedAt: '2026-11-21T11:00:02.874Z',
  eventsScanned: 42,
  eventsApplied: 1,
  pendingResolved: 0,
  repaired: [
    {
      workspaceId: EX.workspaceId,
      stripeObjectId: EX.checkoutSessionId,
      transactionId: EX.depositTransactionId,
      what: 'deposit completed (25000000 micros) by checkout.session.completed evt_1QxYz2AbCdEfGhIj',
    },
  ],
  mismatches: [
    { workspaceId: EX.workspaceId, stripeObjectId: 're_3QxYz2AbCdEfGhIj1a2b3c4d', detail: 'Stripe refunded 5000000 micros; the ledger has no refund entry' },
  ],
};

export const reconcileRoute = createRoute({
  method: 'post',
  path: '/internal/v1/stripe/reconcile',
  operationId: 'reconcileStripe',
  tags: ['Stripe'],
  summary: 'Reconcile with Stripe now (also run by the hourly cron)',
  description:
    "Replays Stripe's events since the last run (10-minute overlap) through the webhook's fulfilment path, settles deposits pending for over 30 minutes from Stripe's record, then compares what Stripe says was paid, refunded and disputed per workspace with the ledger. Idempotent: each Stripe object moves the ledger at most once, so a second run repairs nothing. The report is stored (GET /internal/v1/stripe/reconciliation).",
  security: [{ internalToken: [] }],
  responses: {
    200: jsonResponse('The report of this run.', ReconciliationReportSchema, reportExample),
    ...errorResponses('unauthenticated', 'stripe_unavailable'),
  },
});

export const reconciliationRoute = createRoute({
  method: 'get',
  path: '/internal/v1/stripe/reconciliation',
  operationId: 'getStripeReconciliation',
  tags: ['Stripe'],
  summary: 'The last reconciliation report',
  security: [{ internalToken: [] }],
  responses: {
    200: jsonResponse('The report of the last run (the cron\'s or POST /internal/v1/stripe/reconcile\'s).', ReconciliationReportSchema, reportExample),
    ...errorResponses('unauthenticated', ['not_found', 'No reconciliation has run yet.']),
  },
});

export const registerStripeReconciliationRoutes = (app: Router) => {
  app.openapi(reconcileRoute, async (c) => c.json(await reconcileWithStripe(c.env), 200));
  app.openapi(reconciliationRoute, async (c) => {
    const report = await lastReconciliation(c.env);
    if (!report) throw new ApiError('not_found', 'No reconciliation has run yet.');
    return c.json(report, 200);
  });
};
