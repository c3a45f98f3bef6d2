import { createRoute, z } from '@hono/zod-openapi';
import { usageForPeriod } from '../../billing/usage_for_period';
import { requireApiKey } from '../../auth/require_api_key';
import { ApiError } from '../../errors/api_error';
import { adminMemberExample, EX, memberExample, usageRowExample } from '../../openapi/examples';
import { MyUsageSchema, usagePeriods } from '../../openapi/usage_schemas';
import { errorResponses, jsonResponse } from '../../openapi/schemas';
import { farRead, keepBookmark } from '../../regions/far_reads';
import type { Router } from '../router';

export const myUsageRoute = createRoute({
  method: 'get',
  path: '/v1/billing/my-usage',
  operationId: 'getMyUsage',
  tags: ['Billing'],
  summary: "The caller's usage; admins may add every member, unattributed usage and the workspace totals",
  description:
    'Periods are whole UTC hours: `current` is the calendar month (UTC) to date, `7d` and `30d` the trailing days, `all_time` since the workspace was created. Runtime is split into settled, pending (closed hours not yet settled), forgiven (not charged for lack of credits) and active (the open hour so far). With `all=true` (admins): `members[]`, `unattributed` (usage reported without a memberId) and `totals`, the whole workspace, which is exactly the members plus unattributed: a line several members share (a model in one hour) is split between them in proportion to their exact cost, in whole micros.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: {
    query: z.object({
      period: z.enum(usagePeriods).optional().openapi({ default: 'current', example: '30d' }),
      all: z.enum(['true', 'false']).optional().openapi({ description: 'Admins only (403 for members): add members[], unattributed and totals.', example: 'true' }),
    }),
  },
  responses: {
    200: jsonResponse('Usage.', MyUsageSchema, {
      period: '30d',
      from: '2026-10-22T10:42:17.512Z',
      to: EX.now,
      usage: usageRowExample,
      members: [
        { memberId: adminMemberExample.id, name: adminMemberExample.name, usage: usageRowExample },
        { memberId: memberExample.id, name: memberExample.name, usage: { ...usageRowExample, tokens: { input: 0, output: 0, total: 0 }, modelUsage: [], totalMicros: 993_507 } },
      ],
      unattributed: { ...usageRowExample, tokens: { input: 0, output: 0, total: 0 }, modelUsage: [], totalMicros: 250_000 },
      totals: { ...usageRowExample, totalMicros: 10_637_014 },
    }),
    ...errorResponses(
      ['invalid_request', "period: Invalid option: expected one of \"current\"|\"7d\"|\"30d\"|\"all_time\""],
      'unauthenticated',
      ['forbidden', 'all=true needs a workspace admin.'],
      'rate_limited',
    ),
  },
});

export const registerMyUsageRoute = (app: Router) =>
  app.openapi(myUsageRoute, async (c) => {
    const auth = c.get('auth');
    const query = c.req.valid('query');
    const allMembers = query.all === 'true';
    if (allMembers && auth.role !== 'admin') throw new ApiError('forbidden', 'all=true needs a workspace admin.');
    const far = await farRead(c.env, c.req.raw, auth.workspaceId);
    const report = await usageForPeriod(c.env, {
      workspaceId: auth.workspaceId,
      memberId: auth.memberId,
      period: query.period ?? 'current',
      allMembers,
      replica: far?.db,
    });
    keepBookmark(c, far);
    return c.json(report, 200);
  });
