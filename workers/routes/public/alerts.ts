import { createRoute } from '@hono/zod-openapi';
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { readAlerts, saveAlerts } from '../../billing/alerts';
import { AlertsBody, alertsExample, AlertsSchema } from '../../openapi/alert_schemas';
import { errorResponses, jsonBody, jsonResponse } from '../../openapi/schemas';
import type { Router } from '../router';

export const getAlertsRoute = createRoute({
  method: 'get',
  path: '/v1/billing/alerts',
  operationId: 'getAlerts',
  tags: ['Billing'],
  summary: 'Alert settings',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: { 200: jsonResponse('The settings.', AlertsSchema, alertsExample), ...errorResponses('unauthenticated', 'rate_limited') },
});

export const putAlertsRoute = createRoute({
  method: 'put',
  path: '/v1/billing/alerts',
  operationId: 'updateAlerts',
  tags: ['Billing'],
  summary: 'Change alert settings (admin)',
  description:
    'Replaces all the settings. Each threshold fires `balance.threshold_crossed` once when the balance (or hoursRemaining) falls below it, and again only after it has risen above it; a threshold the balance is already below when it is added fires after the next rise and fall. `instance.termination_scheduled` is sent when the predicted zero crossing comes within `terminationWarningMinutes`. See docs/alerts.md.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: { body: jsonBody(AlertsBody, { thresholds: [{ balanceCents: 2000 }, { hoursRemaining: 24 }], terminationWarningMinutes: 60, emailAdmins: true }) },
  responses: {
    200: jsonResponse('The settings now in force.', AlertsSchema, alertsExample),
    ...errorResponses(['invalid_request', 'thresholds: Too big: expected array to have <=5 items'], 'unauthenticated', 'forbidden', 'rate_limited'),
  },
});

export const registerAlertRoutes = (app: Router) =>
  app
    .openapi(getAlertsRoute, async (c) => c.json(await readAlerts(c.env, c.get('auth').workspaceId), 200))
    .openapi(putAlertsRoute, async (c) => c.json(await saveAlerts(c.env, c.get('auth').workspaceId, c.req.valid('json')), 200));
