import { createRoute, z } from '@hono/zod-openapi';
import { EX } from '../../openapi/examples';
import { errorResponses, IdempotencyHeadersSchema, IdempotencyIdSchema, jsonBody, jsonResponse, MemberIdSchema, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';
import { replayedHeaders } from '../../http/idempotent_replayed';
import { createDashboardLink } from '../../tenancy/create_dashboard_link';
import { configuredPublicOrigin } from '../../billing/public_base_url';

const DEFAULT_TTL_SECONDS = 15 * 60;

const LinkBody = z.object({
  id: IdempotencyIdSchema.optional(),
  memberId: MemberIdSchema,
  ttlSeconds: z.int().min(60).max(86_400).optional().openapi({ description: 'How long the link works, 60 s to 24 h (default 900 s).', example: 900 }),
});

const CreatedLink = z
  .object({
    url: z.string().openapi({
      description: 'The link; its token is the fragment (after `#`), which browsers never send, so it is in no request log.',
      example: 'https://billing.example.com/dashboard/link#3q2-7wJ0xE4b0pTz8gG1mYlq3sQnC5bV9hK2dRf6uA0',
    }),
    memberId: z.string(),
    expiresAt: z.string().openapi({ example: '2026-11-21T10:15:00.000Z' }),
  })
  .openapi('DashboardLink');

export const createDashboardLinkRoute = createRoute({
  method: 'post',
  path: '/internal/v1/workspaces/{ws}/dashboard-links',
  operationId: 'createDashboardLink',
  tags: ['Workspaces'],
  summary: 'Mint a one-time dashboard sign-in link for a member',
  description:
    'The platform hands this link to a signed-in user (a "Billing" button in its own console). It signs the member in to `/dashboard` once, until it expires; only a hash of its token is stored. Idempotent by `id` (or `Idempotency-Key`) for 24 h: a replay returns the same link.',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    headers: IdempotencyHeadersSchema,
    body: jsonBody(LinkBody, { id: 'billing-button-7d2f', memberId: EX.memberId, ttlSeconds: 900 }),
  },
  responses: {
    201: jsonResponse('The link; it is shown once.', CreatedLink, {
      url: 'https://billing.example.com/dashboard/link#3q2-7wJ0xE4b0pTz8gG1mYlq3sQnC5bV9hK2dRf6uA0',
      memberId: EX.memberId,
      expiresAt: '2026-11-21T10:15:00.000Z',
    }),
    ...errorResponses(
      ['invalid_request', 'ttlSeconds: Too small: expected number to be >=60'],
      'unauthenticated',
      ['not_found', 'No such member in this workspace.'],
      ['idempotency_conflict', 'The id "billing-button-7d2f" was already used with a different request.'],
    ),
  },
});

export const registerDashboardLinkRoutes = (app: Router) =>
  app.openapi(createDashboardLinkRoute, async (c) => {
    const { ws } = c.req.valid('param');
    const body = c.req.valid('json');
    // The link's host is this deployment's public address when configured, not whatever Host the caller sent.
    const origin = configuredPublicOrigin(c.env) ?? new URL(c.req.url).origin;
    const request = { memberId: body.memberId, ttlSeconds: body.ttlSeconds ?? DEFAULT_TTL_SECONDS };
    const { value, replayed } = await createDashboardLink(c.env, ws, origin, body.id ?? c.req.valid('header')['idempotency-key'], request);
    return c.json(value, 201, replayedHeaders(replayed));
  });
