// The public billing API (/v1/billing/*), as one workspace member sees it through their API key.
import { newIdempotencyKey } from './ids.js';
import { segment, type Transport } from './transport.js';
import type {
  Alerts,
  AlertSettings,
  AutoTopup,
  AutoTopupSettings,
  CardSetupCreated,
  CreditBlockList,
  CreditSummary,
  HistoryCsvQuery,
  HistoryQuery,
  MyUsage,
  PaymentMethodList,
  Plan,
  SpendLimit,
  SpendLimitList,
  SpendLimitSettings,
  TopupBody,
  CheckoutTopupCreated,
  SavedCardTopupCreated,
  TopupCreated,
  TopupStatus,
  Transaction,
  TransactionDetail,
  TransactionPage,
  UsagePeriod,
} from './types.js';

export interface MyUsageOptions {
  /** `current` (the calendar month to date, the default), `7d`, `30d` or `all_time`. */
  period?: UsagePeriod;
  /** Admins only (a member gets `forbidden`): adds every member's usage and the workspace totals. */
  all?: boolean;
}

export type TopupOptions = TopupBody & {
  /**
   * Retries with the same key return the same deposit (the same Checkout Session, or the same
   * saved-card charge, never a second one). Generated per call when omitted.
   */
  idempotencyKey?: string;
};

/** The history filters, without the cursor: the iterator moves it. `limit` is the page size. */
export type HistoryAllQuery = Omit<HistoryQuery, 'cursor'>;

export class AutoTopupApi {
  constructor(private readonly http: Transport) {}

  /** The auto-top-up settings and the saved card, if any. */
  get(): Promise<AutoTopup> {
    return this.http.request({ method: 'GET', path: '/v1/billing/auto-topup' });
  }

  /** Admin only. Enabling needs a saved card (`payment_method_required` otherwise). */
  set(settings: AutoTopupSettings): Promise<AutoTopup> {
    return this.http.request({ method: 'PUT', path: '/v1/billing/auto-topup', body: settings });
  }
}

export class PaymentMethodsApi {
  constructor(private readonly http: Transport) {}

  /** The saved cards, newest first; `default` marks the one saved-card top-ups and auto-recharge charge. */
  list(): Promise<PaymentMethodList> {
    return this.http.request({ method: 'GET', path: '/v1/billing/payment-methods' });
  }

  /**
   * Admin only: a Stripe Checkout Session in setup mode. Send the user to `checkoutUrl`; nothing is
   * charged, and the card becomes the default once Stripe reports the session complete.
   */
  add(): Promise<CardSetupCreated> {
    return this.http.request({ method: 'POST', path: '/v1/billing/payment-methods' });
  }

  /** Admin only: makes a card the default; answers the list. */
  setDefault(paymentMethodId: string): Promise<PaymentMethodList> {
    return this.http.request({ method: 'POST', path: `/v1/billing/payment-methods/${segment(paymentMethodId)}/default` });
  }

  /** Admin only: removes a card (`payment_method_required` for the last one while auto-top-up is on). */
  async remove(paymentMethodId: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/v1/billing/payment-methods/${segment(paymentMethodId)}` });
  }
}

export class SpendLimitsApi {
  constructor(private readonly http: Transport) {}

  /** The caller's own limit (an empty list without one); an admin gets every member's. */
  list(): Promise<SpendLimitList> {
    return this.http.request({ method: 'GET', path: '/v1/billing/spend-limits' });
  }

  /** Admin only: caps what a member may spend per UTC day or calendar month (replacing any limit). */
  set(memberId: string, settings: SpendLimitSettings): Promise<SpendLimit> {
    return this.http.request({ method: 'PUT', path: `/v1/billing/spend-limits/${segment(memberId)}`, body: settings });
  }

  /** Admin only: removes a member's limit (idempotent). */
  async remove(memberId: string): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/v1/billing/spend-limits/${segment(memberId)}` });
  }
}

export class AlertsApi {
  constructor(private readonly http: Transport) {}

  /** Balance thresholds, the termination warning's lead time and whether admins get alerts by email. */
  get(): Promise<Alerts> {
    return this.http.request({ method: 'GET', path: '/v1/billing/alerts' });
  }

  /**
   * Admin only: replaces every alert setting (at most 5 thresholds, each `{ balanceCents }` or
   * `{ hoursRemaining }`; `terminationWarningMinutes` 0–1440, 0 = no warning).
   */
  update(settings: AlertSettings): Promise<Alerts> {
    return this.http.request({ method: 'PUT', path: '/v1/billing/alerts', body: settings });
  }
}

export class BillingApi {
  readonly alerts: AlertsApi;
  readonly autoTopup: AutoTopupApi;
  readonly paymentMethods: PaymentMethodsApi;
  readonly spendLimits: SpendLimitsApi;

  constructor(private readonly http: Transport) {
    this.alerts = new AlertsApi(http);
    this.autoTopup = new AutoTopupApi(http);
    this.paymentMethods = new PaymentMethodsApi(http);
    this.spendLimits = new SpendLimitsApi(http);
  }

  /** Plan, credit summary and auto-top-up settings in one call. */
  plan(): Promise<Plan> {
    return this.http.request({ method: 'GET', path: '/v1/billing/plan' });
  }

  /** Balance, burn rate, paid and promotional credit, the next expiry. */
  credits(): Promise<CreditSummary> {
    return this.http.request({ method: 'GET', path: '/v1/billing/credits' });
  }

  /** The credit blocks with credit left, in the order they are spent (burn-down order). */
  creditBlocks(): Promise<CreditBlockList> {
    return this.http.request({ method: 'GET', path: '/v1/billing/credit-blocks' });
  }

  /** One page of the ledger, newest first. Pass the page's `nextCursor` back for the next page. */
  history(query: HistoryQuery = {}): Promise<TransactionPage> {
    return this.http.request({ method: 'GET', path: '/v1/billing/credits/history', query: { ...query } });
  }

  /**
   * Every transaction matching the filters, newest first, fetching pages of `limit` as it goes:
   * `for await (const tx of rt.billing.historyAll({ type: 'deposit' })) …`. Stop early with `break`.
   */
  async *historyAll(query: HistoryAllQuery = {}): AsyncGenerator<Transaction, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.history({ ...query, cursor });
      yield* page.data;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /**
   * The whole ledger (or the filtered part) as CSV text: a header row, then one row per
   * transaction, newest first, amounts in credits with 6 decimals. The open hour's accumulating
   * usage is not included. Read in one piece; for a very large ledger call the endpoint directly
   * and read its body as a stream.
   */
  historyCsv(query: HistoryCsvQuery = {}): Promise<string> {
    return this.http.requestText({ method: 'GET', path: '/v1/billing/credits/history.csv', query: { ...query } }, 'text/csv');
  }

  /** The caller's usage over a period (plus every member's and the totals with `all`, for admins). */
  myUsage(options: MyUsageOptions = {}): Promise<MyUsage> {
    return this.http.request({
      method: 'GET',
      path: '/v1/billing/my-usage',
      query: { period: options.period, all: options.all === undefined ? undefined : String(options.all) },
    });
  }

  /**
   * Admin only. `paymentMethod: 'checkout'` (default) starts a Stripe Checkout top-up and records a
   * pending deposit: send the user to `checkoutUrl`; the deposit completes when Stripe confirms
   * payment (see `success`). `paymentMethod: 'saved'` charges the default saved card at once
   * (`payment_failed` on a decline, `payment_method_required` without a card).
   */
  topup(options: TopupOptions & { paymentMethod?: 'checkout' }): Promise<CheckoutTopupCreated>;
  topup(options: TopupOptions & { paymentMethod: 'saved' }): Promise<SavedCardTopupCreated>;
  topup(options: TopupOptions): Promise<TopupCreated>;
  topup({ idempotencyKey, ...body }: TopupOptions): Promise<TopupCreated> {
    // Fixed before the first attempt, so a retry after a dropped connection returns the session
    // the first attempt created instead of opening a second one.
    const key = idempotencyKey ?? newIdempotencyKey('topup');
    return this.http.request({ method: 'POST', path: '/v1/billing/topup', body, headers: { 'idempotency-key': key } });
  }

  /** After Checkout: verifies the session with Stripe and credits it if paid (once). */
  success(sessionId: string): Promise<TopupStatus> {
    return this.http.request({ method: 'GET', path: '/v1/billing/success', query: { session_id: sessionId } });
  }

  /**
   * One transaction of this workspace (`not_found` for another workspace's); a settled hourly
   * `usage` transaction comes with its priced `lines`.
   */
  transaction(id: string): Promise<TransactionDetail> {
    return this.http.request({ method: 'GET', path: `/v1/billing/transactions/${segment(id)}` });
  }
}
