import { eq } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { members, workspaces } from '../../schema/tables';
import type { Env } from '../env';
import { notFound } from '../errors/api_error';
import { iso } from '../lib/time';
import { hourOf } from '../usage/exact_cost';
import { loadPriceBook } from '../usage/pricing';
import type { UsagePeriod, UsageReport } from '../openapi/usage_schemas';
import { buildUsageRows, emptyUsageRow, readUsageInputs, sumUsageRows } from '../usage/usage_report';
import { directoryD1, directoryDb } from '../storage/databases';

const DAY_MS = 86_400_000;

/** Periods are whole UTC hours (usage is priced per hour): a trailing period starts on the hour. */
function periodStart(period: UsagePeriod, nowMs: number, createdAtMs: number): number {
  if (period === '7d') return hourOf(nowMs - 7 * DAY_MS);
  if (period === '30d') return hourOf(nowMs - 30 * DAY_MS);
  if (period === 'all_time') return createdAtMs;
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
}

/**
 * A member's usage over a period (GET /v1/billing/my-usage and the dashboard); with `allMembers`
 * (the caller checks the role) every member's, the usage reported without a member
 * (`unattributed`) and the workspace totals (members + unattributed) too. A read from a far region
 * passes its replica session for the ledger shard (regions/far_reads.ts).
 */
export async function usageForPeriod(
  env: Env,
  input: { workspaceId: string; memberId: string; period: UsagePeriod; allMembers: boolean; nowMs?: number; replica?: DrizzleD1Database },
): Promise<UsageReport> {
  const db = directoryDb(env);
  const workspace = await db.select({ createdAtMs: workspaces.createdAtMs }).from(workspaces).where(eq(workspaces.id, input.workspaceId)).get();
  if (!workspace) throw notFound('workspace');
  const nowMs = input.nowMs ?? Date.now();
  const fromMs = Math.min(periodStart(input.period, nowMs, workspace.createdAtMs), nowMs);
  const [inputs, book] = await Promise.all([readUsageInputs(env, input.workspaceId, fromMs, nowMs, input.replica), loadPriceBook(directoryD1(env))]);

  const rows = buildUsageRows(inputs, book, fromMs, nowMs);
  const report: UsageReport = {
    period: input.period,
    from: iso(fromMs),
    to: iso(nowMs),
    usage: rows.get(input.memberId) ?? emptyUsageRow(),
  };
  if (input.allMembers) {
    const people = await db.select({ id: members.id, name: members.name }).from(members).where(eq(members.workspaceId, input.workspaceId)).all();
    const known = new Set(people.map((m) => m.id));
    report.members = people.map((m) => ({ memberId: m.id, name: m.name, usage: rows.get(m.id) ?? emptyUsageRow() }));
    // Usage reported without a member (or for one no longer listed) is the workspace's, not a person's.
    report.unattributed = sumUsageRows([...rows].filter(([memberId]) => !known.has(memberId)).map(([, row]) => row));
    report.totals = sumUsageRows([...report.members.map((m) => m.usage), report.unattributed]);
  }
  return report;
}
