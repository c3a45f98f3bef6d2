import { and, eq, gte, sql } from 'drizzle-orm';
import { settlementLines, transactions } from '../../schema/tables';
import type { Env } from '../env';
import { projectedLedgerDbOf } from '../ledger/projected_db';
import { directChargesOf } from '../usage/direct_charges';

export const spendCategories = ['instances', 'storage', 'model_tokens', 'tools', 'charges'] as const;
export type SpendCategory = (typeof spendCategories)[number];

const CATEGORY_OF_LINE: Record<string, SpendCategory> = {
  instance: 'instances',
  volume: 'storage',
  model: 'model_tokens',
  tool: 'tools',
  charge: 'charges',
};

export interface SpendHour {
  hourMs: number;
  byCategory: Record<SpendCategory, number>;
}

const HOUR_MS = 3_600_000;

/**
 * Spend per hour and category since fromMs, as charged (forgiven parts excluded): the lines of
 * settled hours, plus direct deductions (resource charges the platform posted itself) as charges.
 */
export async function readSpendByHour(env: Env, workspaceId: string, fromMs: number): Promise<SpendHour[]> {
  const db = await projectedLedgerDbOf(env, workspaceId);
  const [lines, deductions] = await db.batch([
    db
      .select({ hourMs: settlementLines.hourMs, kind: settlementLines.kind, costMicros: sql<number>`sum(${settlementLines.costMicros} - ${settlementLines.forgivenMicros})` })
      .from(settlementLines)
      .where(and(eq(settlementLines.workspaceId, workspaceId), gte(settlementLines.hourMs, fromMs)))
      .groupBy(settlementLines.hourMs, settlementLines.kind),
    db
      .select({ hourMs: sql<number>`(${transactions.createdAtMs} / ${HOUR_MS}) * ${HOUR_MS}`, kind: sql<string>`'charge'`, costMicros: sql<number>`-sum(${transactions.amountMicros})` })
      .from(transactions)
      // Hourly settlements are described by their lines above.
      .where(directChargesOf(workspaceId, fromMs))
      .groupBy(sql`1`),
  ]);
  const hours = new Map<number, SpendHour>();
  for (const row of [...lines, ...deductions].sort((a, b) => a.hourMs - b.hourMs)) {
    const category = CATEGORY_OF_LINE[row.kind] ?? 'charges';
    let hour = hours.get(row.hourMs);
    if (!hour) {
      hour = { hourMs: row.hourMs, byCategory: { instances: 0, storage: 0, model_tokens: 0, tools: 0, charges: 0 } };
      hours.set(row.hourMs, hour);
    }
    hour.byCategory[category] += Number(row.costMicros);
  }
  return [...hours.values()];
}

export interface BalancePoint {
  atMs: number;
  balanceMicros: number;
}

/**
 * The settled balance over time since fromMs: the balance before the window, then the balance
 * after each completed entry in it. The caller appends the balance of now.
 */
export async function readBalanceSeries(env: Env, workspaceId: string, fromMs: number): Promise<BalancePoint[]> {
  const db = await projectedLedgerDbOf(env, workspaceId);
  const completedIn = and(eq(transactions.workspaceId, workspaceId), eq(transactions.status, 'completed'));
  const [before, within] = await db.batch([
    db
      .select({ balanceMicros: transactions.balanceAfterMicros })
      .from(transactions)
      .where(and(completedIn, sql`${transactions.settledAtMs} < ${fromMs}`))
      .orderBy(sql`${transactions.settledAtMs} desc, ${transactions.seq} desc`)
      .limit(1),
    db
      .select({ atMs: transactions.settledAtMs, balanceMicros: transactions.balanceAfterMicros })
      .from(transactions)
      .where(and(completedIn, gte(transactions.settledAtMs, fromMs)))
      .orderBy(transactions.settledAtMs, transactions.seq)
      .limit(5_000),
  ]);
  const points: BalancePoint[] = [{ atMs: fromMs, balanceMicros: before[0]?.balanceMicros ?? 0 }];
  for (const row of within) if (row.atMs !== null && row.balanceMicros !== null) points.push({ atMs: row.atMs, balanceMicros: row.balanceMicros });
  return points;
}
