import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { members, workspaces } from '../../../schema/tables';
import { requireApiKey } from '../../auth/require_api_key';
import { ApiError, notFound } from '../../errors/api_error';
import { iso } from '../../lib/time';
import { errorResponses, jsonResponse } from '../../openapi/schemas';
import { loadPriceBook } from '../../usage/pricing';
import { buildUsageRow, readUsageInputs } from '../../usage/usage_report';
import type { Router } from '../router';

const DAY_MS = 86_400_000;
const Micros = z.int();

const UsageRowSchema = z
  .object({
    tokens: z.object({ input: z.int(), output: z.int(), total: z.int() }),
    modelUsage: z.array(z.object({ model: z.string(), inputTokens: z.int(), outputTokens: z.int(), totalTokens: z.int(), costMicros: Micros })),
    sandboxRuntime: z.object({
      settledSeconds: z.int(),
      pendingSeconds: z.int(),
      forgivenSeconds: z.int(),
      activeSeconds: z.int(),
      settledMicros: Micros,
      pendingMicros: Micros,
      forgivenMicros: Micros,
      activeEstimateMicros: Micros,
    }),
    storageUsage: z.object({ byteSeconds: z.int(), costMicros: Micros }),
    toolExecutions: z.object({ count: z.int(), costMicros: Micros }),
    resourceCharges: z.array(z.object({ description: z.string(), amountMicros: Micros, createdAt: z.string() })),
    totalMicros: Micros,
  })
  .openapi('UsageRow');

const MyUsageSchema = z
  .object({
    period: z.enum(['current', '7d', '30d', 'all_time']),
    from: z.string(),
    to: z.string(),
    usage: UsageRowSchema,
    members: z.array(z.object({ memberId: z.string(), name: z.string(), usage: UsageRowSchema })).optional(),
    totals: UsageRowSchema.optional(),
  })
  .openapi('MyUsage');

export const myUsageRoute = createRoute({
  method: 'get',
  path: '/v1/billing/my-usage',
  tags: ['billing'],
  summary: "The caller's usage; admins may add every member and the workspace totals",
  description:
    'Periods are whole UTC hours: `current` is the calendar month (UTC) to date, `7d` and `30d` the trailing days, `all_time` since the workspace was created. Runtime is split into settled, pending (closed hours not yet settled), forgiven (not charged for lack of credits) and active (the open hour so far).',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: {
    query: z.object({
      period: z.enum(['current', '7d', '30d', 'all_time']).optional().openapi({ default: 'current' }),
      all: z.enum(['true', 'false']).optional().openapi({ description: 'Admins only: add members[] and totals.' }),
    }),
  },
  responses: { 200: jsonResponse('Usage.', MyUsageSchema), ...errorResponses(400, 401, 403, 429) },
});

function periodStart(period: 'current' | '7d' | '30d' | 'all_time', nowMs: number, createdAtMs: number): number {
  if (period === '7d') return nowMs - 7 * DAY_MS;
  if (period === '30d') return nowMs - 30 * DAY_MS;
  if (period === 'all_time') return createdAtMs;
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
}

export const registerMyUsageRoute = (app: Router) =>
  app.openapi(myUsageRoute, async (c) => {
    const auth = c.get('auth');
    const query = c.req.valid('query');
    const period = query.period ?? 'current';
    const all = query.all === 'true';
    if (all && auth.role !== 'admin') throw new ApiError('forbidden', 'all=true needs a workspace admin.');

    const db = drizzle(c.env.DB);
    const workspace = await db.select({ createdAtMs: workspaces.createdAtMs }).from(workspaces).where(eq(workspaces.id, auth.workspaceId)).get();
    if (!workspace) throw notFound('workspace');
    const nowMs = Date.now();
    const fromMs = Math.min(periodStart(period, nowMs, workspace.createdAtMs), nowMs);
    const [inputs, book] = await Promise.all([readUsageInputs(c.env.DB, auth.workspaceId, fromMs, nowMs), loadPriceBook(c.env.DB)]);

    const body: z.infer<typeof MyUsageSchema> = {
      period,
      from: iso(fromMs),
      to: iso(nowMs),
      usage: buildUsageRow(inputs, book, fromMs, nowMs, auth.memberId),
    };
    if (all) {
      const people = await db.select({ id: members.id, name: members.name }).from(members).where(eq(members.workspaceId, auth.workspaceId)).all();
      body.members = people.map((m) => ({ memberId: m.id, name: m.name, usage: buildUsageRow(inputs, book, fromMs, nowMs, m.id) }));
      body.totals = buildUsageRow(inputs, book, fromMs, nowMs);
    }
    return c.json(body, 200);
  });
