// The SDK's public types. None is written by hand: each is an alias into the types that
// openapi-typescript generated from the Worker's /openapi.json (itself generated from the zod
// schemas), so a schema change reaches the SDK by `npm run sdk:generate` and fails to compile where
// it breaks a caller.
import type { components, paths } from './generated/api.js';

type Schemas = components['schemas'];

// --- helpers that reach into `paths` ---------------------------------------------------------

type Method = 'get' | 'post' | 'put' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

/** The JSON request body of an operation. */
type JsonBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** The query parameters of an operation. */
type Query<P extends keyof paths, M extends Method = 'get'> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** The JSON body of an operation's success answer (status S). */
type Answer<P extends keyof paths, M extends Method, S extends number> =
  Operation<P, M> extends { responses: { [K in S]: { content: { 'application/json': infer R } } } } ? R : never;

// --- public billing API ----------------------------------------------------------------------

export type Transaction = Schemas['Transaction'];
export type TransactionType = Transaction['type'];
export type TransactionStatus = Transaction['status'];
export type TransactionPage = Schemas['TransactionPage'];
export type TransactionDetail = Schemas['TransactionDetail'];
export type TransactionLine = Schemas['TransactionLine'];
export type CreditSummary = Schemas['CreditSummary'];
export type CreditBlock = Schemas['CreditBlock'];
export type CreditBlockList = Schemas['CreditBlockList'];
export type Funding = Schemas['Funding'];
export type AutoTopup = Schemas['AutoTopup'];
export type Alerts = Schemas['Alerts'];
/** One alert threshold: exactly one of the two keys. */
export type AlertThreshold = { balanceCents: number } | { hoursRemaining: number };
/** The body of PUT /v1/billing/alerts (Alerts without updatedAt), with each threshold's one key. */
export type AlertSettings = Omit<JsonBody<'/v1/billing/alerts', 'put'>, 'thresholds'> & { thresholds: AlertThreshold[] };
export type SpendLimit = Schemas['SpendLimit'];
export type SpendLimitList = Answer<'/v1/billing/spend-limits', 'get', 200>;
export type SpendLimitSettings = JsonBody<'/v1/billing/spend-limits/{memberId}', 'put'>;
export type Plan = Schemas['Plan'];
export type UsageRow = Schemas['UsageRow'];
export type MyUsage = Schemas['MyUsage'];
export type TopupCreated = Schemas['TopupCreated'];
/** A top-up through Checkout: pay at `checkoutUrl`. */
export type CheckoutTopupCreated = TopupCreated & { checkoutUrl: string; sessionId: string };
/** A top-up charged to the saved card at once: no Checkout. */
export type SavedCardTopupCreated = TopupCreated & { checkoutUrl: null; sessionId: null };
export type TopupStatus = Schemas['TopupStatus'];
export type PaymentMethod = Schemas['PaymentMethod'];
export type PaymentMethodList = Schemas['PaymentMethodList'];
export type CardSetupCreated = Schemas['CardSetupCreated'];

export type HistoryQuery = Query<'/v1/billing/credits/history'>;
export type HistoryCsvQuery = Query<'/v1/billing/credits/history.csv'>;
export type UsagePeriod = NonNullable<Query<'/v1/billing/my-usage'>['period']>;
export type TopupBody = JsonBody<'/v1/billing/topup', 'post'>;
export type AutoTopupSettings = JsonBody<'/v1/billing/auto-topup', 'put'>;

// --- internal API ----------------------------------------------------------------------------

export type Workspace = Schemas['Workspace'];
export type Member = Schemas['Member'];
export type MemberRole = Member['role'];
export type CreatedWorkspace = Schemas['CreatedWorkspace'];
export type CreatedMember = Schemas['CreatedMember'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type RevokedApiKey = Schemas['RevokedApiKey'];
export type CreditCheck = Schemas['CreditCheck'];
export type Hold = Schemas['Hold'];
export type HoldCapture = Schemas['HoldCapture'];
export type HoldList = Answer<'/internal/v1/workspaces/{ws}/holds', 'get', 200>;
export type CreateHoldBody = JsonBody<'/internal/v1/holds', 'post'>;
export type CaptureHoldBody = JsonBody<'/internal/v1/holds/{id}/capture', 'post'>;
export type ReleaseHoldBody = NonNullable<JsonBody<'/internal/v1/holds/{id}/release', 'post'>>;
export type UsageEvent = Schemas['UsageEvent'];
export type UsageAccepted = Schemas['UsageAccepted'];
export type StoredUsageEvent = Schemas['StoredUsageEvent'];
export type UsageEventPage = Schemas['UsageEventPage'];
export type UsageEventsQuery = Query<'/internal/v1/workspaces/{ws}/usage-events'>;
export type Pricing = Schemas['Pricing'];
export type PriceList = Schemas['PriceList'];
export type Resource = Schemas['Resource'];
export type SandboxRuntimeQuote = Schemas['SandboxRuntimeQuote'];
export type StorageQuota = Schemas['StorageQuota'];
export type PlatformEventRecord = Schemas['PlatformEvent'];
export type DashboardLink = Schemas['DashboardLink'];
export type EndedDashboardSessions = Schemas['EndedDashboardSessions'];
export type ReconciliationReport = Schemas['ReconciliationReport'];

export type CreateWorkspaceBody = JsonBody<'/internal/v1/workspaces', 'post'>;
export type CreateMemberBody = JsonBody<'/internal/v1/workspaces/{ws}/members', 'post'>;
export type CreateApiKeyBody = JsonBody<'/internal/v1/workspaces/{ws}/api-keys', 'post'>;
export type CreateDashboardLinkBody = JsonBody<'/internal/v1/workspaces/{ws}/dashboard-links', 'post'>;
export type AdjustmentBody = JsonBody<'/internal/v1/adjustments', 'post'>;
export type DeductionBody = JsonBody<'/internal/v1/deductions', 'post'>;
export type GrantBody = JsonBody<'/internal/v1/grants', 'post'>;
export type GrantResult = Schemas['GrantResult'];
export type StartResourceBody = JsonBody<'/internal/v1/resources', 'post'>;
export type StopResourceBody = JsonBody<'/internal/v1/resources/{id}/stop', 'post'>;
export type ResizeResourceBody = JsonBody<'/internal/v1/resources/{id}/resize', 'post'>;
export type SandboxRuntimeQuoteQuery = Query<'/internal/v1/quotes/sandbox-runtime'>;
export type PlatformEventsQuery = Query<'/internal/v1/workspaces/{ws}/events'>;
export type PlatformEventList = Answer<'/internal/v1/workspaces/{ws}/events', 'get', 200>;
export type NotificationsQuery = Query<'/internal/v1/workspaces/{ws}/notifications'>;
export type NotificationPage = Answer<'/internal/v1/workspaces/{ws}/notifications', 'get', 200>;
/** One notification of the log: a platform webhook or an alert email to an admin. */
export type Notification = NotificationPage['data'][number];

/** The notification types burnrate POSTs to the platform (the filter the events route takes). */
export type PlatformEventType = NonNullable<PlatformEventsQuery['type']>;

/**
 * A platform notification as delivered to PLATFORM_WEBHOOK_URL: the stored event without its
 * delivery bookkeeping, with `type` narrowed to the known notification types.
 */
export type PlatformEvent = Omit<PlatformEventRecord, 'delivery' | 'type'> & { type: PlatformEventType };

/** Makes the idempotency `id` of a body optional: the SDK fills it in when the caller leaves it out. */
export type WithOptionalId<T extends { id?: string }> = Omit<T, 'id'> & { id?: string };
