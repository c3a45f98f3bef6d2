import { createRoute, z } from '@hono/zod-openapi';
import { EX } from '../../openapi/examples';
import { errorResponses, jsonResponse, queryInt, WorkspaceIdSchema } from '../../openapi/schemas';
import { listNotifications, UNCONFIGURED_WEBHOOK_RECIPIENT } from '../../notifications/list_notifications';
import type { Router } from '../router';

const NotificationSchema = z
  .object({
    id: z.string().openapi({ description: "The notification's id: a webhook's is its event's id (`evt_…`), an email's its own (`eml_…`)." }),
    type: z.string().openapi({ description: 'The event type (`balance.threshold_crossed`, `auto_recharge.failed`, …).', example: 'auto_recharge.failed' }),
    createdAt: z.string().openapi({ description: 'When the event was raised (an email shares its event\'s time).' }),
    channel: z.enum(['webhook', 'email']),
    recipient: z.string().openapi({
      description: `An email's address; a webhook's is the URL it was POSTed to (PLATFORM_WEBHOOK_URL then; before its first attempt, PLATFORM_WEBHOOK_URL now), or \`${UNCONFIGURED_WEBHOOK_RECIPIENT}\` when there was none to send it to.`,
    }),
    delivered: z.boolean().openapi({ description: 'Acknowledged by the platform (2xx), or accepted by Email Service.' }),
    // additionalProperties: true rather than zod's `{}`, which Scalar's document validator rejects.
    data: z.record(z.string(), z.unknown()).openapi({ description: "The event's fields (see docs/notifications.md).", additionalProperties: true }),
    eventId: z.string().openapi({ description: 'The outbox event the notification is about (a webhook: its own id).' }),
    deliveredAt: z.string().nullable(),
  })
  .openapi('Notification', { description: 'One notification sent about a workspace: a platform webhook, or an email to one of its admins.' });

const webhookExample = {
  id: EX.eventId,
  type: 'auto_recharge.failed',
  createdAt: EX.createdAt,
  channel: 'webhook' as const,
  recipient: 'https://platform.example.com/burnrate/events',
  delivered: true,
  data: { transactionId: EX.transactionId, attempt: 1, declineCode: 'insufficient_funds', disabled: false },
  eventId: EX.eventId,
  deliveredAt: '2026-11-21T10:00:01.204Z',
};
const emailExample = { ...webhookExample, id: 'eml_00mwq8lds1a3c5e7g9i1k3m5', channel: 'email' as const, recipient: 'ada@acme.example', deliveredAt: '2026-11-21T10:00:01.512Z' };

export const listNotificationsRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/notifications',
  operationId: 'listNotifications',
  tags: ['Platform events'],
  summary: 'Every notification sent about a workspace (webhooks and admin emails), newest first',
  description:
    "The notification log: each platform event as its webhook, and each alert email to an admin (when the workspace's alerts have `emailAdmins`), with whether it was delivered. Pages newest first; pass `nextCursor` back as `cursor` for the next page.",
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    query: z.object({
      cursor: z.string().min(1).max(400).optional().openapi({ description: 'The nextCursor of the previous page (opaque).', example: 'bjE6MTc5NjYyNDM4MTM1MTpldnRfMDBtd3E4bGRzMGgyajRrNmw4ejB4MmM0' }),
      limit: queryInt(1, 200).optional().openapi({ type: 'integer', minimum: 1, maximum: 200, default: 50, example: 50 }),
    }),
  },
  responses: {
    200: jsonResponse(
      'A page of notifications, newest first; nextCursor is null on the last.',
      z.object({ data: z.array(NotificationSchema), nextCursor: z.string().nullable() }).openapi('NotificationPage'),
      { data: [webhookExample, emailExample], nextCursor: null },
    ),
    ...errorResponses(['invalid_request', 'cursor: not a cursor this listing gave out.'], 'unauthenticated', 'not_found'),
  },
});

export const registerNotificationRoutes = (app: Router) =>
  app.openapi(listNotificationsRoute, async (c) => {
    const { ws } = c.req.valid('param');
    const { cursor, limit } = c.req.valid('query');
    return c.json(await listNotifications(c.env, ws, { cursor, limit: limit ?? 50 }), 200);
  });
