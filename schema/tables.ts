// The D1 schema of record. drizzle-kit generates the SQL migrations in ./migrations from this file;
// the ledger's append-only triggers live in a hand-written migration beside them (drizzle has no
// trigger DSL). Money columns are integer micro-credits; time columns are epoch milliseconds.
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const workspaces = sqliteTable('workspaces', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  planId: text('plan_id').notNull().default('payg'),
  autoTopupEnabled: integer('auto_topup_enabled', { mode: 'boolean' }).notNull().default(false),
  autoTopupThresholdCents: integer('auto_topup_threshold_cents').notNull().default(1000),
  autoTopupAmountCents: integer('auto_topup_amount_cents').notNull().default(2500),
  createdAtMs: integer('created_at_ms').notNull(),
  // Zero-balance state, written by the workspace's ledger object in the same batch as the outbox
  // events that announce it.
  /** Set while volumes are inaccessible because the balance reached zero. */
  storageSuspendedAtMs: integer('storage_suspended_at_ms'),
  /** When running instances were last terminated for a zero balance. */
  terminatedAtMs: integer('terminated_at_ms'),
  /** Set while the balance is low (one balance.low per crossing). */
  lowBalanceSinceMs: integer('low_balance_since_ms'),
  /** Set when an auto-recharge was made for the current crossing below the threshold. */
  autoRechargeCrossingAtMs: integer('auto_recharge_crossing_at_ms'),
  /** Consecutive declined auto-recharges; three turn auto-top-up off. */
  autoTopupFailures: integer('auto_topup_failures').notNull().default(0),
});

export const members = sqliteTable(
  'members',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id),
    name: text('name').notNull(),
    email: text('email').notNull(),
    role: text('role', { enum: ['admin', 'member'] }).notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (t) => [
    uniqueIndex('members_workspace_email').on(t.workspaceId, t.email),
    check('members_role_valid', sql`${t.role} IN ('admin', 'member')`),
  ],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id),
    memberId: text('member_id').notNull().references(() => members.id),
    // SHA-256 of the whole key, hex. Keys carry 256 bits of randomness, so a fast hash is enough.
    keyHash: text('key_hash').notNull(),
    prefix: text('prefix').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
    revokedAtMs: integer('revoked_at_ms'),
  },
  (t) => [uniqueIndex('api_keys_key_hash').on(t.keyHash), index('api_keys_workspace').on(t.workspaceId)],
);

export const transactionTypes = ['deposit', 'usage', 'auto_recharge', 'refund', 'dispute', 'adjustment'] as const;
export const transactionStatuses = ['completed', 'pending', 'failed', 'accumulating'] as const;

// The ledger. Append-only: a settled row (completed or failed) can never change, and no row can be
// deleted (see the triggers migration). A pending row may move once to completed or failed.
export const transactions = sqliteTable(
  'transactions',
  {
    // seq orders the ledger and drives keyset pagination; id is the public handle.
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id),
    // The caller's id for the mutation (TigerBeetle style: the id is the idempotency key).
    idempotencyKey: text('idempotency_key').notNull(),
    // SHA-256 of the request that created the row, to tell a replay from a conflicting reuse.
    requestHash: text('request_hash').notNull(),
    type: text('type', { enum: transactionTypes }).notNull(),
    status: text('status', { enum: transactionStatuses }).notNull(),
    description: text('description').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    // What was asked for but could not be covered by the balance (never debt; recorded, not charged).
    forgivenMicros: integer('forgiven_micros').notNull().default(0),
    balanceAfterMicros: integer('balance_after_micros'),
    invoiceUrl: text('invoice_url'),
    memberId: text('member_id'),
    createdAtMs: integer('created_at_ms').notNull(),
    settledAtMs: integer('settled_at_ms'),
  },
  (t) => [
    uniqueIndex('transactions_id').on(t.id),
    uniqueIndex('transactions_workspace_idempotency').on(t.workspaceId, t.idempotencyKey),
    index('transactions_workspace_seq').on(t.workspaceId, t.seq),
    // History filtered by type, status or both, newest first, reads only the matching entries.
    index('transactions_workspace_type_seq').on(t.workspaceId, t.type, t.seq),
    index('transactions_workspace_status_seq').on(t.workspaceId, t.status, t.seq),
    index('transactions_workspace_type_status_seq').on(t.workspaceId, t.type, t.status, t.seq),
    check('transactions_type_valid', sql`${t.type} IN ('deposit', 'usage', 'auto_recharge', 'refund', 'dispute', 'adjustment')`),
    check('transactions_status_valid', sql`${t.status} IN ('completed', 'pending', 'failed', 'accumulating')`),
    check('transactions_forgiven_non_negative', sql`${t.forgivenMicros} >= 0`),
    // A completed entry always records the balance it left. The ledger object reads that value back
    // inside its batch under a guard (the balance it expected); a stale guess yields NULL here and
    // aborts the whole batch instead of writing an entry on a wrong basis.
    check('transactions_completed_has_balance_after', sql`${t.status} <> 'completed' OR ${t.balanceAfterMicros} IS NOT NULL`),
  ],
);

// One row per workspace, written only by that workspace's Durable Object, always in the same D1
// batch as the ledger entry that moves it. The CHECK is the last line of defence against debt.
export const balances = sqliteTable(
  'balances',
  {
    workspaceId: text('workspace_id').primaryKey().references(() => workspaces.id),
    balanceMicros: integer('balance_micros').notNull().default(0),
    updatedAtMs: integer('updated_at_ms').notNull(),
    // Every hour before this instant is settled; usage reported for earlier times is billed in the
    // first unsettled hour. Moves only forward, in the same batch as the hour's usage entry.
    settledThroughMs: integer('settled_through_ms').notNull().default(0),
    // The oldest hour in which the workspace's ledger object holds unsettled usage events (they live
    // in the object's own storage, not here); null when it holds none. Lets the hourly cron find
    // who has events to settle. Written when an event lands in an hour before it (or while it is
    // null), and by settlement in the batch of the hour's usage entry.
    oldestOpenEventHourMs: integer('oldest_open_event_hour_ms'),
  },
  (t) => [check('balances_non_negative', sql`${t.balanceMicros} >= 0`)],
);

// Replay records for idempotent mutations that are not ledger entries (creating workspaces,
// members and API keys). The stored response is sealed (AES-GCM) because it contains a one-time
// API key, which must never rest in plaintext.
export const idempotencyRecords = sqliteTable(
  'idempotency_records',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    sealedResponse: text('sealed_response').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);

// --- usage metering (issue: usage metering and hourly settlement) ------------------------------

// Versioned price lists. A version applies to usage that occurred at or after effective_from_ms and
// before the next version's; changing prices never re-prices the past.
export const priceLists = sqliteTable('price_lists', {
  version: integer('version').primaryKey({ autoIncrement: true }),
  effectiveFromMs: integer('effective_from_ms').notNull(),
  pricingJson: text('pricing_json').notNull(),
  createdAtMs: integer('created_at_ms').notNull(),
});

// Legacy: usage events as they were stored before they moved into each workspace's ledger object
// (its own SQLite storage, see workers/ledger/event_store.ts). Nothing writes here any more; each
// object moves its workspace's rows from inside the retention window into its own storage on its
// first load, and a later migration drops the table.
export const usageEvents = sqliteTable(
  'usage_events',
  {
    workspaceId: text('workspace_id').notNull(),
    eventId: text('event_id').notNull(),
    requestHash: text('request_hash').notNull(),
    // The hour the event is billed in (its own hour, or the first unsettled hour if reported late).
    hourMs: integer('hour_ms').notNull(),
    occurredAtMs: integer('occurred_at_ms').notNull(),
    memberId: text('member_id').notNull().default(''),
    type: text('type', { enum: ['model', 'tool_execution', 'charge'] }).notNull(),
    lineKey: text('line_key').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    amountMicros: integer('amount_micros').notNull().default(0),
    priceVersion: integer('price_version').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.eventId] })],
);

// Hourly aggregates per (workspace, hour, member, line, price version) of settled hours, written by
// settlement in the batch of the hour's usage entry: what usage reports read for settled hours.
// The open hours' rollups live in the workspace's ledger object. Quantities only; costs are
// computed from them exactly (BigInt) and rounded once.
export const usageRollups = sqliteTable(
  'usage_rollups',
  {
    workspaceId: text('workspace_id').notNull(),
    hourMs: integer('hour_ms').notNull(),
    memberId: text('member_id').notNull().default(''),
    // model | model_byok | tool | charge
    kind: text('kind').notNull(),
    // the model id, 'tools', or the charge's event id (each charge is its own line)
    lineKey: text('line_key').notNull(),
    priceVersion: integer('price_version').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    count: integer('count').notNull().default(0),
    amountMicros: integer('amount_micros').notNull().default(0),
    // charge lines only: what the charge was for and when it happened
    description: text('description'),
    occurredAtMs: integer('occurred_at_ms'),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.hourMs, t.memberId, t.kind, t.lineKey, t.priceVersion] })],
);

// Metered resources: instances (by instance type) and volumes (by size). Each change of rate is a
// new interval, so a resize never re-prices time already run.
export const resources = sqliteTable(
  'resources',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    memberId: text('member_id').notNull().default(''),
    kind: text('kind', { enum: ['instance', 'volume'] }).notNull(),
    instanceType: text('instance_type'),
    sizeBytes: integer('size_bytes'),
    requestHash: text('request_hash').notNull(),
    startedAtMs: integer('started_at_ms').notNull(),
    stoppedAtMs: integer('stopped_at_ms'),
    stopReason: text('stop_reason'),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (t) => [index('resources_workspace_running').on(t.workspaceId, t.stoppedAtMs)],
);

export const resourceIntervals = sqliteTable(
  'resource_intervals',
  {
    resourceId: text('resource_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    startedAtMs: integer('started_at_ms').notNull(),
    stoppedAtMs: integer('stopped_at_ms'),
    instanceType: text('instance_type'),
    sizeBytes: integer('size_bytes'),
  },
  (t) => [primaryKey({ columns: [t.resourceId, t.startedAtMs] }), index('resource_intervals_workspace').on(t.workspaceId, t.stoppedAtMs)],
);

// What each settled hour charged, line by line: the explanation behind a `usage` transaction and
// the source of settled/forgiven figures in usage reports.
export const settlementLines = sqliteTable(
  'settlement_lines',
  {
    workspaceId: text('workspace_id').notNull(),
    hourMs: integer('hour_ms').notNull(),
    memberId: text('member_id').notNull().default(''),
    kind: text('kind').notNull(),
    lineKey: text('line_key').notNull(),
    transactionId: text('transaction_id').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    count: integer('count').notNull().default(0),
    // instances and volumes: milliseconds metered in the hour; volumes also byte-seconds.
    runtimeMs: integer('runtime_ms').notNull().default(0),
    byteSeconds: integer('byte_seconds').notNull().default(0),
    costMicros: integer('cost_micros').notNull(),
    forgivenMicros: integer('forgiven_micros').notNull().default(0),
    description: text('description'),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.hourMs, t.memberId, t.kind, t.lineKey] }),
    index('settlement_lines_transaction').on(t.transactionId),
  ],
);

// --- platform notifications (zero balance, low balance, storage, auto-recharge) -------------------

// The outbox: each event is written in the same D1 batch as the change that caused it, then
// delivered to PLATFORM_WEBHOOK_URL through a Queue until acknowledged. Its id is stable across
// retries so the platform can dedupe.
export const platformEvents = sqliteTable(
  'platform_events',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    type: text('type').notNull(),
    dataJson: text('data_json').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
    // pending | delivered | not_configured
    deliveryState: text('delivery_state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastAttemptAtMs: integer('last_attempt_at_ms'),
    lastError: text('last_error'),
    deliveredAtMs: integer('delivered_at_ms'),
  },
  (t) => [index('platform_events_workspace').on(t.workspaceId, t.createdAtMs), index('platform_events_pending').on(t.deliveryState, t.createdAtMs)],
);

// --- Stripe (money in) ---------------------------------------------------------------------------

// The workspace's Stripe customer and the card saved for off-session auto-recharge.
export const stripeCustomers = sqliteTable('stripe_customers', {
  workspaceId: text('workspace_id').primaryKey(),
  customerId: text('customer_id').notNull(),
  paymentMethodId: text('payment_method_id'),
  cardBrand: text('card_brand'),
  cardLast4: text('card_last4'),
  updatedAtMs: integer('updated_at_ms').notNull(),
});

// Checkout Sessions burnrate created, so that a session id maps to exactly one workspace and one
// pending deposit (a session of another workspace is a 404).
export const checkoutSessions = sqliteTable(
  'checkout_sessions',
  {
    sessionId: text('session_id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    transactionKey: text('transaction_key').notNull(),
    amountCents: integer('amount_cents').notNull(),
    paymentIntentId: text('payment_intent_id'),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (t) => [index('checkout_sessions_payment_intent').on(t.paymentIntentId)],
);

// Stripe events already processed: written in the same D1 batch as their effect, so a redelivery
// is recognised whatever order events arrive in.
export const stripeEvents = sqliteTable('stripe_events', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  workspaceId: text('workspace_id'),
  processedAtMs: integer('processed_at_ms').notNull(),
});

// Disputes on burnrate's charges as Stripe last described them: the money moves through `dispute`
// ledger entries (keyed by the dispute id); this row keeps the dispute's status so that
// auto-recharge can hold off while one is open, and reconciliation can compare.
export const stripeDisputes = sqliteTable(
  'stripe_disputes',
  {
    disputeId: text('dispute_id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    chargeId: text('charge_id').notNull(),
    amountCents: integer('amount_cents').notNull(),
    // Stripe's status: warning_needs_response | warning_under_review | warning_closed |
    // needs_response | under_review | won | lost | prevented
    status: text('status').notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
  },
  (t) => [index('stripe_disputes_workspace_status').on(t.workspaceId, t.status)],
);

// Each reconciliation run with Stripe and its report; the newest row holds the event cursor the
// next run starts from (minus an overlap).
export const reconciliationRuns = sqliteTable('reconciliation_runs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  startedAtMs: integer('started_at_ms').notNull(),
  finishedAtMs: integer('finished_at_ms').notNull(),
  /** Stripe event `created` (epoch seconds) of the newest event seen: the next run lists from here. */
  eventCursorSeconds: integer('event_cursor_seconds').notNull(),
  reportJson: text('report_json').notNull(),
});

// --- dashboard ----------------------------------------------------------------------------------

// One-time sign-in links to the dashboard, minted by the internal API for a member. Only a hash of
// the token is kept; a link works once (used_at_ms) and until it expires.
export const dashboardLinks = sqliteTable(
  'dashboard_links',
  {
    tokenHash: text('token_hash').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id),
    memberId: text('member_id').notNull().references(() => members.id),
    createdAtMs: integer('created_at_ms').notNull(),
    expiresAtMs: integer('expires_at_ms').notNull(),
    usedAtMs: integer('used_at_ms'),
  },
  (t) => [index('dashboard_links_workspace').on(t.workspaceId)],
);
