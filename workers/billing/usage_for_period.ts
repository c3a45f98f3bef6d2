import { eq } from 'drizzle-orm';
import { members, workspaces } from '../../schema/tables';
import type { Env } from '../env';
import { notFound } from '../errors/api_error';
import { iso } from '../lib/time';
import { loadPriceBook } from '../usage/pricing';
import type { UsagePeriod, UsageReport } from '../openapi/usage_schemas';
import { buildUsageRow, readUsageInputs } from '../usage/usage_report';
import { directoryD1, directoryDb } from '../storage/databases';

const DAY_MS = 86_400_000;

function periodStart(period: UsagePeriod, nowMs: number, createdAtMs: number): number {
  if (period === '7d') return nowMs - 7 * DAY_MS;
  if (period === '30d') return nowMs - 30 * DAY_MS;
  if (period === 'all_time') return createdAtMs;
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
}

/**
 * A member's usage over a period (GET /v1/billing/my-usage and the dashboard); with `allMembers`
 * (the caller checks the role) every member's and the workspace totals too.
 */
export async function usageForPeriod(
  env: Env,
  input: { workspaceId: string; memberId: string; period: UsagePeriod; allMembers: boolean; nowMs?: number },
): Promise<UsageReport> {
  const db = directoryDb(env);
  const workspace = await db.select({ createdAtMs: workspaces.createdAtMs }).from(workspaces).where(eq(workspaces.id, input.workspaceId)).get();
  if (!workspace) throw notFound('workspace');
  const nowMs = input.nowMs ?? Date.now();
  const fromMs = Math.min(periodStart(input.period, nowMs, workspace.createdAtMs), nowMs);
  const [inputs, book] = await Promise.all([readUsageInputs(env, input.workspaceId, fromMs, nowMs), loadPriceBook(directoryD1(env))]);

  const report: UsageReport = {
    period: input.period,
    from: iso(fromMs),
    to: iso(nowMs),
    usage: buildUsageRow(inputs, book, fromMs, nowMs, input.memberId),
  };
  if (input.allMembers) {
    const people = await db.select({ id: members.id, name: members.name }).from(members).where(eq(members.workspaceId, input.workspaceId)).all();
    report.members = people.map((m) => ({ memberId: m.id, name: m.name, usage: buildUsageRow(inputs, book, fromMs, nowMs, m.id) }));
    report.totals = buildUsageRow(inputs, book, fromMs, nowMs);
  }
  return report;
}
