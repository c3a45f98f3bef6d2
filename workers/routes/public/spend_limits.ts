import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { spendLimitExample, SpendLimitBody, SpendLimitSchema } from '../../openapi/hold_schemas';
import { errorResponses, jsonBody, jsonResponse, MemberIdSchema } from '../../openapi/schemas';
import { assertTenants } from '../../usage/known_tenants';
import type { Router } from '../router';

const MemberParam = z.object({ memberId: MemberIdSchema });

export const listSpendLimitsRoute = createRoute({
  method: 'get',
  path: '/v1/billing/spend-limits',
  operationId: 'listSpendLimits',
  tags: ['Billing'],
  summary: 'Spend limits and what was spent this period',
  description: 'A member sees their own limit (an empty list when they have none); an admin sees every member\'s.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: {
    200: jsonResponse('The limits.', z.object({ data: z.array(SpendLimitSchema) }), { data: [spendLimitExample] }),
    ...errorResponses('unauthenticated', 'rate_limited'),
  },
});

export const putSpendLimitRoute = createRoute({
  method: 'put',
  path: '/v1/billing/spend-limits/{memberId}',
  operationId: 'setSpendLimit',
  tags: ['Billing'],
  summary: 'Set a member\'s spend limit (admin)',
  description:
    'Caps what the member may spend per UTC day or calendar month: settled and accumulating usage attributed to them, deductions and captures with their memberId, plus their active holds. A hold or deduction that would pass it is 402 `spend_limit_exceeded`; usage events are never refused. Replaces any earlier limit of the member.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: { params: MemberParam, body: jsonBody(SpendLimitBody, { limitMicros: 20_000_000, period: 'day' }) },
  responses: {
    200: jsonResponse('The limit now in force, with this period\'s spend.', SpendLimitSchema, spendLimitExample),
    ...errorResponses(['invalid_request', 'memberId: no such member in this workspace.'], 'unauthenticated', 'forbidden', 'rate_limited'),
  },
});

export const deleteSpendLimitRoute = createRoute({
  method: 'delete',
  path: '/v1/billing/spend-limits/{memberId}',
  operationId: 'removeSpendLimit',
  tags: ['Billing'],
  summary: 'Remove a member\'s spend limit (admin)',
  description: 'Idempotent: removing a limit that is not set answers 204 too.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: { params: MemberParam },
  responses: {
    204: { description: 'Removed.' },
    ...errorResponses(['invalid_request', 'memberId: no such member in this workspace.'], 'unauthenticated', 'forbidden', 'rate_limited'),
  },
});

export const registerSpendLimitRoutes = (app: Router) =>
  app
    .openapi(listSpendLimitsRoute, async (c) => {
      const { workspaceId, memberId, role } = c.get('auth');
      const { value } = unwrap(await ledgerFor(c.env, workspaceId).spendLimits(workspaceId, role === 'admin' ? null : memberId));
      return c.json({ data: value }, 200);
    })
    .openapi(putSpendLimitRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const { memberId } = c.req.valid('param');
      await assertTenants(c.env, [{ workspaceId, memberId, path: '' }], 'invalid_request');
      const { value } = unwrap(await ledgerFor(c.env, workspaceId).setSpendLimit(workspaceId, memberId, c.req.valid('json')));
      return c.json(value!, 200);
    })
    .openapi(deleteSpendLimitRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const { memberId } = c.req.valid('param');
      await assertTenants(c.env, [{ workspaceId, memberId, path: '' }], 'invalid_request');
      unwrap(await ledgerFor(c.env, workspaceId).setSpendLimit(workspaceId, memberId, null));
      return c.body(null, 204);
    });
