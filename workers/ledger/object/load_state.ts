import { MS_PER_HOUR } from '../../usage/exact_cost';
import { OpenUsage } from '../../usage/open_usage';
import type { IntervalRow } from '../../usage/price_hour';
import { PriceBook } from '../../usage/pricing';
import type { EventStore } from '../usage/event_store';
import type { WorkspaceFlags } from '../enforcement/enforcement_plan';
import { BlockBook } from '../rules/blocks/block_book';
import { OPEN_BLOCKS_SQL } from '../rules/blocks/block_statements';
import type { CreditBlock } from '../rules/blocks/credit_block';
import { parseCrossed, parseThresholds, type AlertState } from '../enforcement/alerts/alert_rules';
import { LedgerInvariantError, type LedgerState } from '../state/ledger_state';

// The object's load runs on every cold start (an alarm, a queue message, the first call after an
// eviction), so its statements are constant SQL bound to the workspace id rather than built by the
// query builder each time. Column aliases are the LedgerState field names.

/**
 * The balance with the sum of the workspace's completed entries, which triggers on `transactions`
 * keep beside it (shard migration 0002): the check on every load costs the same for a workspace
 * with ten entries or a hundred million. With the workspace's flags.
 */
const BALANCE_AND_FLAGS_SQL = `
  SELECT b.balance_micros AS balanceMicros, b.updated_at_ms AS updatedAtMs, b.settled_through_ms AS settledThroughMs,
         b.oldest_open_event_hour_ms AS oldestOpenEventHourMs,
         b.ledger_sum_micros AS ledgerSumMicros, b.blocks_sum_micros AS blocksSumMicros, b.blocks_ready AS blocksReady,
         w.created_at_ms AS createdAtMs, w.storage_suspended_at_ms AS storageSuspendedAtMs, w.low_balance_since_ms AS lowBalanceSinceMs,
         w.auto_topup_enabled AS autoTopupEnabled, w.auto_topup_threshold_cents AS autoTopupThresholdCents,
         w.auto_topup_amount_cents AS autoTopupAmountCents, w.auto_topup_failures AS autoTopupFailures,
         w.auto_recharge_crossing_at_ms AS autoRechargeCrossingAtMs,
         w.alert_thresholds_json AS alertThresholdsJson, w.alert_termination_warning_minutes AS alertTerminationWarningMinutes,
         w.alert_email_admins AS alertEmailAdmins, w.alert_crossed_json AS alertCrossedJson,
         w.alert_balance_state AS alertBalanceState, w.alert_warned_zero_at_ms AS alertWarnedZeroAtMs
    FROM balances b JOIN ledger_workspaces w ON w.workspace_id = b.workspace_id
   WHERE b.workspace_id = ?1`;

/** Everything unsettled is at or after settled_through_ms: every interval running or stopped after it (IntervalRow). */
const OPEN_INTERVALS_SQL = `
  SELECT ri.resource_id AS resourceId, r.member_id AS memberId, r.kind AS kind, ri.instance_type AS instanceType,
         ri.size_bytes AS sizeBytes, ri.started_at_ms AS startedAtMs, ri.stopped_at_ms AS stoppedAtMs
    FROM resource_intervals ri JOIN resources r ON r.id = ri.resource_id
   WHERE ri.workspace_id = ?1
     AND (ri.stopped_at_ms IS NULL OR ri.stopped_at_ms > (SELECT settled_through_ms FROM balances WHERE workspace_id = ?1))`;

/** Event usage of the last settled hour (for the trailing-hour burn rate). */
const PREVIOUS_HOUR_SQL = `
  SELECT COALESCE(SUM(cost_micros), 0) AS micros FROM settlement_lines
   WHERE workspace_id = ?1 AND kind IN ('model', 'tool', 'charge')
     AND hour_ms = (SELECT settled_through_ms FROM balances WHERE workspace_id = ?1) - ${MS_PER_HOUR}`;

const PRICES_SQL = 'SELECT version, effective_from_ms AS effectiveFromMs, pricing_json AS pricingJson FROM price_lists ORDER BY version DESC';
const CARD_SQL = 'SELECT customer_id AS stripeCustomerId, payment_method_id AS paymentMethodId FROM stripe_customers WHERE workspace_id = ?1';

interface BalanceAndFlagsRow {
  balanceMicros: number;
  updatedAtMs: number;
  settledThroughMs: number;
  oldestOpenEventHourMs: number | null;
  ledgerSumMicros: number;
  blocksSumMicros: number;
  blocksReady: number;
  createdAtMs: number;
  storageSuspendedAtMs: number | null;
  lowBalanceSinceMs: number | null;
  autoTopupEnabled: number;
  autoTopupThresholdCents: number;
  autoTopupAmountCents: number;
  autoTopupFailures: number;
  autoRechargeCrossingAtMs: number | null;
  alertThresholdsJson: string;
  alertTerminationWarningMinutes: number;
  alertEmailAdmins: number;
  alertCrossedJson: string;
  alertBalanceState: AlertState['balanceState'];
  alertWarnedZeroAtMs: number | null;
}

/**
 * Everything the ledger object holds in memory: from its ledger shard in one round trip, the
 * balance (checked against its ledger) with the workspace's flags, and the unsettled intervals;
 * from the directory in another (at the same time), the price book and the saved card; from the
 * object's own storage, the open hours' usage rollups. Null when the workspace does not exist.
 */
export async function readLedgerState(shard: D1Database, directory: D1Database, workspaceId: string, store: EventStore): Promise<LedgerState | null> {
  return (await readLedgerStateWith(shard, directory, workspaceId, store, NOTHING_ALONGSIDE)).state;
}

/** More of the shard read in the same batch as the state (one round trip), and what is made of it. */
export interface AlongsideRead<T> {
  statements: readonly D1PreparedStatement[];
  read(results: readonly D1Result[]): T;
}

const NOTHING_ALONGSIDE: AlongsideRead<null> = { statements: [], read: () => null };

/** readLedgerState, with `alongside`'s statements in the same shard batch (the members' spend, holds/limits). */
export async function readLedgerStateWith<T>(
  shard: D1Database,
  directory: D1Database,
  workspaceId: string,
  store: EventStore,
  alongside: AlongsideRead<T>,
): Promise<{ state: LedgerState | null; alongside: T }> {
  const [[balanceResult, intervalResult, previousResult, blockResult, ...alongsideResults], [priceResult, cardResult]] = await Promise.all([
    shard.batch([
      shard.prepare(BALANCE_AND_FLAGS_SQL).bind(workspaceId),
      shard.prepare(OPEN_INTERVALS_SQL).bind(workspaceId),
      shard.prepare(PREVIOUS_HOUR_SQL).bind(workspaceId),
      shard.prepare(OPEN_BLOCKS_SQL).bind(workspaceId),
      ...alongside.statements,
    ]),
    directory.batch([directory.prepare(PRICES_SQL), directory.prepare(CARD_SQL).bind(workspaceId)]),
  ]);
  const row = (balanceResult!.results as BalanceAndFlagsRow[])[0];
  if (!row) return { state: null, alongside: alongside.read(alongsideResults) };
  return { state: stateOf(row, workspaceId, store, { intervalResult: intervalResult!, previousResult: previousResult!, blockResult: blockResult!, priceResult: priceResult!, cardResult: cardResult! }), alongside: alongside.read(alongsideResults) };
}

function stateOf(
  row: BalanceAndFlagsRow,
  workspaceId: string,
  store: EventStore,
  { intervalResult, previousResult, blockResult, priceResult, cardResult }: Record<'intervalResult' | 'previousResult' | 'blockResult' | 'priceResult' | 'cardResult', D1Result>,
): LedgerState {
  const intervals = intervalResult.results as IntervalRow[];
  const previous = previousResult.results as Array<{ micros: number }>;
  const prices = priceResult.results as Array<{ version: number; effectiveFromMs: number; pricingJson: string }>;
  const cardRows = cardResult.results as Array<{ stripeCustomerId: string; paymentMethodId: string | null }>;
  const flags: WorkspaceFlags = {
    storageSuspendedAtMs: row.storageSuspendedAtMs,
    lowBalanceSinceMs: row.lowBalanceSinceMs,
    autoTopupEnabled: row.autoTopupEnabled === 1,
    autoTopupThresholdCents: row.autoTopupThresholdCents,
    autoTopupAmountCents: row.autoTopupAmountCents,
    autoTopupFailures: row.autoTopupFailures,
    autoRechargeCrossingAtMs: row.autoRechargeCrossingAtMs,
    stripeCustomerId: cardRows[0]?.stripeCustomerId ?? null,
    paymentMethodId: cardRows[0]?.paymentMethodId ?? null,
  };
  const { createdAtMs } = row;
  // The ledger invariant, checked whenever the cache is rebuilt: if the balance row disagrees with
  // the sum of completed entries, this workspace's money is frozen (every call fails loudly)
  // rather than moved on a wrong basis.
  if (row.balanceMicros !== row.ledgerSumMicros) {
    throw new LedgerInvariantError(`ledger invariant violated for ${workspaceId}: balance ${row.balanceMicros} != entries ${row.ledgerSumMicros}`);
  }
  // The block invariant, as cheaply: every credit is a block and every debit is funded by blocks, so
  // the remainders (kept by triggers, and those loaded) add up to the balance.
  const blocks = new BlockBook(blockResult.results as CreditBlock[]);
  const blocksReady = row.blocksReady !== 0;
  if (blocksReady && (row.blocksSumMicros !== row.balanceMicros || blocks.totalMicros !== row.balanceMicros)) {
    throw new LedgerInvariantError(
      `credit block invariant violated for ${workspaceId}: balance ${row.balanceMicros} != blocks ${row.blocksSumMicros} (open blocks hold ${blocks.totalMicros})`,
    );
  }
  const book = new PriceBook(prices);
  const open = new OpenUsage(row.settledThroughMs);
  // Rollups of hours before the settled point are in D1 already (a crash can leave them behind).
  store.dropRollupsBefore(row.settledThroughMs);
  for (const r of store.rollupsFrom(row.settledThroughMs)) open.addRollup(r, book);
  open.intervals = intervals;
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
    blocks,
    blocksReady,
    alerts: {
      settings: {
        thresholds: parseThresholds(row.alertThresholdsJson),
        terminationWarningMinutes: row.alertTerminationWarningMinutes,
        emailAdmins: row.alertEmailAdmins === 1,
      },
      state: { crossed: parseCrossed(row.alertCrossedJson), balanceState: row.alertBalanceState, warnedZeroAtMs: row.alertWarnedZeroAtMs },
    },
  };
}
