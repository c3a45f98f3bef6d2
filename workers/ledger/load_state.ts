import { and, desc, eq, inArray, isNull, or, gt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { balances, ledgerWorkspaces, priceLists, resourceIntervals, settlementLines, stripeCustomers } from '../../schema/tables';
import { MS_PER_HOUR } from '../usage/exact_cost';
import { selectIntervals } from '../usage/interval_query';
import { OpenUsage } from '../usage/open_usage';
import type { IntervalRow } from '../usage/price_hour';
import { PriceBook } from '../usage/pricing';
import type { EventStore } from './event_store';
import type { WorkspaceFlags } from './enforcement_plan';

export interface LedgerState {
  workspaceId: string;
  /** Settled balance: the sum of completed ledger entries (what D1's balances row holds). */
  balanceMicros: number;
  updatedAtMs: number;
  /** When the workspace was created: usage and resources before it are refused. */
  createdAtMs: number;
  /** D1's record of the oldest hour with events held here (balances.oldest_open_event_hour_ms). */
  oldestOpenEventHourMs: number | null;
  open: OpenUsage;
  book: PriceBook;
  /** When the price list was last compared with D1's. */
  pricesCheckedAtMs: number;
  flags: WorkspaceFlags;
}

export class LedgerInvariantError extends Error {}

/**
 * Everything the ledger object holds in memory: from its ledger shard in one round trip, the
 * balance (checked against its ledger), unsettled intervals and the workspace's flags; from the
 * directory in another (at the same time), the price book and the saved card; from the object's
 * own storage, the open hours' usage rollups. Null when the workspace does not exist.
 */
export async function readLedgerState(shard: D1Database, directory: D1Database, workspaceId: string, store: EventStore): Promise<LedgerState | null> {
  const d = drizzle(shard);
  const dir = drizzle(directory);
  const balanceQuery = d
    .select({
      balanceMicros: balances.balanceMicros,
      updatedAtMs: balances.updatedAtMs,
      settledThroughMs: balances.settledThroughMs,
      oldestOpenEventHourMs: balances.oldestOpenEventHourMs,
      // Bound parameter, not a column reference: drizzle writes unqualified column names, so a
      // correlated `workspace_id = workspace_id` would sum every tenant's entries.
      ledgerSumMicros: sql<number>`(SELECT COALESCE(SUM(t.amount_micros), 0) FROM transactions t WHERE t.workspace_id = ${workspaceId} AND t.status = 'completed')`,
    })
    .from(balances)
    .where(eq(balances.workspaceId, workspaceId));
  // Everything unsettled is at or after settled_through_ms; read it in the same round trip.
  const through = sql`(SELECT settled_through_ms FROM balances WHERE workspace_id = ${workspaceId})`;
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
  const priceQuery = dir
    .select({ version: priceLists.version, effectiveFromMs: priceLists.effectiveFromMs, pricingJson: priceLists.pricingJson })
    .from(priceLists)
    .orderBy(desc(priceLists.version));

  const flagsQuery = d
    .select({
      createdAtMs: ledgerWorkspaces.createdAtMs,
      storageSuspendedAtMs: ledgerWorkspaces.storageSuspendedAtMs,
      lowBalanceSinceMs: ledgerWorkspaces.lowBalanceSinceMs,
      autoTopupEnabled: ledgerWorkspaces.autoTopupEnabled,
      autoTopupThresholdCents: ledgerWorkspaces.autoTopupThresholdCents,
      autoTopupAmountCents: ledgerWorkspaces.autoTopupAmountCents,
      autoTopupFailures: ledgerWorkspaces.autoTopupFailures,
      autoRechargeCrossingAtMs: ledgerWorkspaces.autoRechargeCrossingAtMs,
    })
    .from(ledgerWorkspaces)
    .where(eq(ledgerWorkspaces.workspaceId, workspaceId));
  const cardQuery = dir
    .select({ stripeCustomerId: stripeCustomers.customerId, paymentMethodId: stripeCustomers.paymentMethodId })
    .from(stripeCustomers)
    .where(eq(stripeCustomers.workspaceId, workspaceId));

  const [[balanceRows, intervals, previous, flagRows], [prices, cardRows]] = await Promise.all([
    d.batch([balanceQuery, intervalQuery, previousHourQuery, flagsQuery]),
    dir.batch([priceQuery, cardQuery]),
  ]);
  const row = balanceRows[0];
  const flagRow = flagRows[0];
  if (!row || !flagRow) return null;
  const { createdAtMs, ...ledgerFlags } = flagRow;
  const flags = { ...ledgerFlags, stripeCustomerId: cardRows[0]?.stripeCustomerId ?? null, paymentMethodId: cardRows[0]?.paymentMethodId ?? null };
  // The ledger invariant, checked whenever the cache is rebuilt: if the balance row disagrees with
  // the sum of completed entries, this workspace's money is frozen (every call fails loudly)
  // rather than moved on a wrong basis.
  if (row.balanceMicros !== row.ledgerSumMicros) {
    throw new LedgerInvariantError(`ledger invariant violated for ${workspaceId}: balance ${row.balanceMicros} != entries ${row.ledgerSumMicros}`);
  }
  const book = new PriceBook(prices);
  const open = new OpenUsage(row.settledThroughMs);
  // Rollups of hours before the settled point are in D1 already (a crash can leave them behind).
  store.dropRollupsBefore(row.settledThroughMs);
  for (const r of store.rollupsFrom(row.settledThroughMs)) open.addRollup(r, book);
  open.intervals = intervals as IntervalRow[];
  open.lastSettledHour = { hourMs: row.settledThroughMs - MS_PER_HOUR, eventMicros: previous[0]?.micros ?? 0 };
  return {
    workspaceId,
    balanceMicros: row.balanceMicros,
    updatedAtMs: row.updatedAtMs,
    createdAtMs,
    oldestOpenEventHourMs: row.oldestOpenEventHourMs,
    open,
    book,
    pricesCheckedAtMs: Date.now(),
    flags,
  };
}
