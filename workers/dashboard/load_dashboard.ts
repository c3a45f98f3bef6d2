import { transactionStatuses, transactionTypes } from '../../schema/tables';
import { waitingAuthentication } from '../billing/action_urls';
import { historyPage, type HistoryPage } from '../billing/history_page';
import { listPaymentMethods, type PaymentMethodView } from '../billing/payment_methods';
import { readAutoTopup, type AutoTopup } from '../billing/read_auto_topup';
import { usageForPeriod } from '../billing/usage_for_period';
import { readZeroBalanceState } from '../billing/read_zero_balance_state';
import type { UsageReport } from '../openapi/usage_schemas';
import type { DashboardSession, Env } from '../env';
import { notFound } from '../errors/api_error';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import type { BurnBreakdown, CreditSummary } from '../ledger/ledger_types';
import { randomToken } from '../lib/crypto';
import { decodeCursor } from '../lib/history_cursor';
import { iso } from '../lib/time';
import { PAGE_PATIENCE } from '../stripe/stripe_client';
import { ledgerDbOf } from '../storage/databases';
import { readReturnedPayment, returnedPaymentOf, type ReturnedPayment } from './payment_notice';
import { readOpenUsageLines, readUsageLines, type UsageLine } from './usage_lines';
import { readBalanceSeries, readSpendByHour, type BalancePoint, type SpendHour } from './spend_series';
import type { TransactionView } from '../ledger/transaction_view';
import { readTransactionFunding, type FundingLineView } from '../billing/read_transaction';
import { loadSpendLimitsPanel, type SpendLimitsPanelData } from './spend_limits_data';
import { loadRecentAlerts, type RecentAlert } from './recent_alerts_data';
import { readAlerts, type Alerts } from '../billing/alerts';

export const HISTORY_PAGE_SIZE = 20;

export interface DashboardQuery {
  type?: (typeof transactionTypes)[number];
  status?: (typeof transactionStatuses)[number];
  cursor?: string;
  period: '7d' | '30d';
  /** The payment the browser came back from (Checkout or the saved card), if any. */
  payment: ReturnedPayment | null;
}

export interface DashboardData {
  session: DashboardSession;
  query: DashboardQuery;
  summary: CreditSummary;
  /** The burn rate split into what runs now and recent usage (null if the ledger did not answer). */
  burn: BurnBreakdown | null;
  autoTopup: AutoTopup;
  history: HistoryPage;
  usage: UsageReport;
  spendByHour: SpendHour[];
  balanceSeries: BalancePoint[];
  zeroBalance: { terminatedAt: string | null; storageSuspendedAt: string | null };
  /** A fresh idempotency key for the Add Credits form: submitting it twice makes one deposit. */
  formKey: string;
  /** A deposit or auto-recharge on this page is still pending: the page polls faster. */
  pending: boolean;
  /** The deposit of the returned payment as it is now (null when none, or not ours). */
  paymentTx: TransactionView | null;
  /** The lines of the settled usage transactions on this page of history, by transaction id. */
  usageLines: Map<string, UsageLine[]>;
  /** What paid for the usage rows on this page (credit blocks by category), by transaction id. */
  usageFunding?: Map<string, FundingLineView[]>;
  /** The workspace's saved cards as Stripe lists them, or null when Stripe did not list them (in time). */
  cards: PaymentMethodView[] | null;
  /** Alert settings (views/alerts_panel.ts). */
  alerts: Alerts;
  /** Members' spend limits (views/spend_limits_panel.ts). */
  spendLimits: SpendLimitsPanelData;
  /** An auto-recharge waiting for the customer's 3-D Secure authentication: the banner's link. */
  actionRequired: { transactionId: string; actionUrl: string } | null;
  /** Admins: the last alerts and warnings (views/recent_alerts_panel.ts); members: null. */
  recentAlerts: RecentAlert[] | null;
}

/** What the live regions (notice, balance panel, history table, saved card) need. */
export type LiveView = Pick<DashboardData, 'session' | 'query' | 'summary' | 'burn' | 'history' | 'zeroBalance' | 'pending' | 'autoTopup' | 'paymentTx' | 'usageLines' | 'usageFunding'>;

const isOneOf = <T extends string>(list: readonly T[], value: string | undefined): value is T => value !== undefined && (list as readonly string[]).includes(value);

/** The page's query string, leniently: an unknown filter is ignored rather than an error page. */
export function parseDashboardQuery(url: URL): DashboardQuery {
  const type = url.searchParams.get('type') ?? undefined;
  const status = url.searchParams.get('status') ?? undefined;
  let cursor = url.searchParams.get('cursor') ?? undefined;
  try {
    if (cursor) decodeCursor(cursor);
  } catch {
    cursor = undefined;
  }
  return {
    type: isOneOf(transactionTypes, type) ? type : undefined,
    status: isOneOf(transactionStatuses, status) ? status : undefined,
    cursor,
    period: url.searchParams.get('period') === '30d' ? '30d' : '7d',
    payment: returnedPaymentOf(url),
  };
}

/**
 * The live parts of the page: balance, zero-balance state, the visible page of history, the saved
 * card and the returned payment's deposit (what its notice describes).
 */
export async function loadLiveData(env: Env, session: DashboardSession, query: DashboardQuery) {
  const ws = session.workspaceId;
  // The summary first: the history's accumulating row is made from it (one ledger call, not two).
  const summary = unwrap(await ledgerFor(env, ws).creditSummary(ws)).value;
  const [history, flags, autoTopup, paymentTx, burn] = await Promise.all([
    historyPage(env, ws, { limit: HISTORY_PAGE_SIZE, cursor: query.cursor, type: query.type, status: query.status }, summary),
    readZeroBalanceState(env, ws),
    readAutoTopup(env, ws),
    query.payment ? readReturnedPayment(env, ws, query.payment) : Promise.resolve(null),
    ledgerFor(env, ws).burnBreakdown(ws).then((r) => (r.ok ? r.value : null)),
  ]);
  if (!flags) throw notFound('workspace');
  const settledUsage = history.data.filter((tx) => tx.type === 'usage' && tx.status === 'completed').map((tx) => tx.id);
  const accumulating = history.data.find((tx) => tx.status === 'accumulating');
  const [usageLines, openLines, usageFunding] = await Promise.all([
    settledUsage.length ? readUsageLines(env, ws, settledUsage) : Promise.resolve(new Map<string, UsageLine[]>()),
    accumulating ? readOpenUsageLines(env, ws) : Promise.resolve([]),
    settledUsage.length ? readTransactionFunding(env, ws, settledUsage) : Promise.resolve(new Map<string, FundingLineView[]>()),
  ]);
  // The accumulating row opens the open hours' lines so far. They were priced a moment after the
  // summary the row was made from: with an instance running, the two instants differ by a micro or
  // so, so the row shows the lines' total (what it opens must add up to what it says).
  if (accumulating && openLines.length) {
    usageLines.set(accumulating.id, openLines);
    accumulating.amountMicros = openLines.reduce((sum, line) => sum + line.amountMicros, 0);
  }
  return {
    usageLines,
    usageFunding,
    summary,
    burn,
    history,
    zeroBalance: {
      terminatedAt: flags.terminatedAtMs === null ? null : iso(flags.terminatedAtMs),
      storageSuspendedAt: flags.storageSuspendedAtMs === null ? null : iso(flags.storageSuspendedAtMs),
    },
    autoTopup,
    paymentTx,
    pending: paymentTx?.status === 'pending' || history.data.some((tx) => tx.status === 'pending'),
  };
}

export async function loadDashboard(env: Env, session: DashboardSession, query: DashboardQuery): Promise<DashboardData> {
  const ws = session.workspaceId;
  const nowMs = Date.now();
  const [live, usage, cards, spendLimits, actionRequired, alerts, recentAlerts] = await Promise.all([
    loadLiveData(env, session, query),
    usageForPeriod(env, { workspaceId: ws, memberId: session.memberId, period: query.period, allMembers: session.role === 'admin', nowMs }),
    loadCards(env, ws),
    loadSpendLimitsPanel(env, session),
    ledgerDbOf(env, ws).then((db) => waitingAuthentication(db, ws)),
    readAlerts(env, ws),
    session.role === 'admin' ? loadRecentAlerts(env, ws) : Promise.resolve(null),
  ]);
  const fromMs = Date.parse(usage.from);
  const [spendByHour, balanceSeries] = await Promise.all([readSpendByHour(env, ws, fromMs), readBalanceSeries(env, ws, fromMs)]);
  return { session, query, usage, spendByHour, balanceSeries, cards, spendLimits, alerts, actionRequired, recentAlerts, formKey: randomToken(16), ...live };
}

/**
 * The Cards panel's list, the only part of the page that asks Stripe: whatever goes wrong there
 * (Stripe slow past the page's 3 s, down, or refusing: the customer deleted at Stripe is "No such
 * customer") shows as "unavailable right now" in that panel, and the rest of the page, which is
 * the ledger's, renders as always.
 */
async function loadCards(env: Env, workspaceId: string): Promise<PaymentMethodView[] | null> {
  try {
    return (await listPaymentMethods(env, workspaceId, PAGE_PATIENCE)).data;
  } catch (error) {
    console.warn(JSON.stringify({ level: 'warn', msg: 'dashboard cards unavailable', workspaceId, error: String(error) }));
    return null;
  }
}
