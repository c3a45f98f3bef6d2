import { and, desc, eq, gte, inArray, isNull, or, gt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { balances, priceLists, resourceIntervals, settlementLines, stripeCustomers, usageRollups, workspaces } from '../../schema/tables';
import { MS_PER_HOUR } from '../usage/exact_cost';
import { selectIntervals } from '../usage/interval_query';
import { OpenUsage } from '../usage/open_usage';
import type { IntervalRow, RollupRow } from '../usage/price_hour';
import { PriceBook } from '../usage/pricing';
import type { WorkspaceFlags } from './zero_balance';

export interface LedgerState {
  workspaceId: string;
  /** Settled balance: the sum of completed ledger entries (what D1's balances row holds). */
  balanceMicros: number;
  updatedAtMs: number;
  open: OpenUsage;
  book: PriceBook;
  /** When the price list was last compared with D1's. */
  pricesCheckedAtMs: number;
  flags: WorkspaceFlags;
}

export class LedgerInvariantError extends Error {}

/**
 * Everything the ledger object holds in memory, read from D1 in one round trip: the balance (checked
 * against its ledger), unsettled usage and intervals, the price book and the workspace's flags. Null
 * when the workspace does not exist.
 */
export async function readLedgerState(db: D1Database, workspaceId: string): Promise<LedgerState | null> {
  const d = drizzle(db);
  const balanceQuery = d
    .select({
      balanceMicros: balances.balanceMicros,
      updatedAtMs: balances.updatedAtMs,
      settledThroughMs: balances.settledThroughMs,
      // Bound parameter, not a column reference: drizzle writes unqualified column names, so a
      // correlated `workspace_id = workspace_id` would sum every tenant's entries.
      ledgerSumMicros: sql<number>`(SELECT COALESCE(SUM(t.amount_micros), 0) FROM transactions t WHERE t.workspace_id = ${workspaceId} AND t.status = 'completed')`,
    })
    .from(balances)
    .where(eq(balances.workspaceId, workspaceId));
  // Everything unsettled is at or after settled_through_ms; read it in the same round trip.
  const through = sql`(SELECT settled_through_ms FROM balances WHERE workspace_id = ${workspaceId})`;
  const rollupQuery = d
    .select()
    .from(usageRollups)
    .where(and(eq(usageRollups.workspaceId, workspaceId), gte(usageRollups.hourMs, through)));
  const intervalQuery = selectIntervals(d, workspaceId, or(isNull(resourceIntervals.stoppedAtMs), gt(resourceIntervals.stoppedAtMs, through)));
  const previousHourQuery = d
    .select({ micros: sql<number>`COALESCE(SUM(${settlementLines.costMicros}), 0)` })
    .from(settlementLines)
    .where(
      and(
        eq(settlementLines.workspaceId, workspaceId),
        eq(settlementLines.hourMs, sql`${through} - ${MS_PER_HOUR}`),
        inArray(settlementLines.kind, ['model', 'tool', 'charge']),
      ),
    );
  const priceQuery = d
    .select({ version: priceLists.version, effectiveFromMs: priceLists.effectiveFromMs, pricingJson: priceLists.pricingJson })
    .from(priceLists)
    .orderBy(desc(priceLists.version));

  const flagsQuery = d
    .select({
      storageSuspendedAtMs: workspaces.storageSuspendedAtMs,
      lowBalanceSinceMs: workspaces.lowBalanceSinceMs,
      autoTopupEnabled: workspaces.autoTopupEnabled,
      autoTopupThresholdCents: workspaces.autoTopupThresholdCents,
      autoTopupAmountCents: workspaces.autoTopupAmountCents,
      autoTopupFailures: workspaces.autoTopupFailures,
      autoRechargeCrossingAtMs: workspaces.autoRechargeCrossingAtMs,
      stripeCustomerId: stripeCustomers.customerId,
      paymentMethodId: stripeCustomers.paymentMethodId,
    })
    .from(workspaces)
    .leftJoin(stripeCustomers, eq(stripeCustomers.workspaceId, workspaces.id))
    .where(eq(workspaces.id, workspaceId));

  const [balanceRows, rollups, intervals, previous, prices, flagRows] = await d.batch([
    balanceQuery,
    rollupQuery,
    intervalQuery,
    previousHourQuery,
    priceQuery,
    flagsQuery,
  ]);
  const row = balanceRows[0];
  const flags = flagRows[0];
  if (!row || !flags) return null;
  // The ledger invariant, checked whenever the cache is rebuilt: if the balance row disagrees with
  // the sum of completed entries, this workspace's money is frozen (every call fails loudly)
  // rather than moved on a wrong basis.
  if (row.balanceMicros !== row.ledgerSumMicros) {
    throw new LedgerInvariantError(`ledger invariant violated for ${workspaceId}: balance ${row.balanceMicros} != entries ${row.ledgerSumMicros}`);
  }
  const book = new PriceBook(prices);
  const open = new OpenUsage(row.settledThroughMs);
  for (const r of rollups) open.addRollup(r as RollupRow, book);
  open.intervals = intervals as IntervalRow[];
  open.lastSettledHour = { hourMs: row.settledThroughMs - MS_PER_HOUR, eventMicros: previous[0]?.micros ?? 0 };
  return { workspaceId, balanceMicros: row.balanceMicros, updatedAtMs: row.updatedAtMs, open, book, pricesCheckedAtMs: Date.now(), flags };
}
