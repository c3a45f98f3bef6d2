// A ledger shard D1 (bindings LEDGER_SHARD_0 … listed in LEDGER_SHARDS): the ledgers of the
// workspaces placed on it (workers/storage/placement.ts). A workspace's rows are all in its one
// shard, so every batch of its ledger object is one D1 transaction. Money columns are integer
// micro-credits; time columns are epoch milliseconds. The ledger's append-only triggers are in the
// hand-written part of migrations/shard/0000_baseline.sql (drizzle has no trigger DSL).
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// One row per workspace on this shard, written at creation (before the directory row) and then
// only by the workspace's ledger object, in the same batch as the outbox events that announce a
// change: auto-top-up settings and the zero-balance and auto-recharge state.
export const ledgerWorkspaces = sqliteTable('ledger_workspaces', {
  workspaceId: text('workspace_id').primaryKey(),
  /** Copied from the directory (immutable): usage and resources before it are refused. */
  createdAtMs: integer('created_at_ms').notNull(),
  autoTopupEnabled: integer('auto_topup_enabled', { mode: 'boolean' }).notNull().default(false),
  autoTopupThresholdCents: integer('auto_topup_threshold_cents').notNull().default(1000),
  autoTopupAmountCents: integer('auto_topup_amount_cents').notNull().default(2500),
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
  /** fixed: charge autoTopupAmountCents; target: charge up to autoTopupTargetCents (migration 0005). */
  autoTopupMode: text('auto_topup_mode', { enum: ['fixed', 'target'] }).notNull().default('fixed'),
  autoTopupTargetCents: integer('auto_topup_target_cents'),
  /** Cap on auto-recharge payments per UTC month; null = none. */
  autoTopupMonthlyLimitCents: integer('auto_topup_monthly_limit_cents'),
  /** The UTC month (YYYY-MM) whose auto_recharge.limit_reached was sent: once a month. */
  autoRechargeLimitNotifiedMonth: text('auto_recharge_limit_notified_month'),
  /**
   * Alerts (migration 0006): up to 5 thresholds as JSON, `[{ "balanceCents": n } | { "hoursRemaining": n }]`,
   * the lead time of the termination warning (0 = none) and whether admins get alerts by email.
   */
  alertThresholdsJson: text('alert_thresholds_json').notNull().default('[]'),
  alertTerminationWarningMinutes: integer('alert_termination_warning_minutes').notNull().default(60),
  alertEmailAdmins: integer('alert_email_admins', { mode: 'boolean' }).notNull().default(false),
  alertsUpdatedAtMs: integer('alerts_updated_at_ms'),
  /**
   * Alert state (migration 0008), written only by the ledger object with the outbox rows it causes:
   * the thresholds the balance is below now (their keys, see workers/ledger/enforcement/alerts/alert_rules.ts),
   * whether the balance was ever above zero / is at zero now (funded | depleted; unfunded until the
   * first credit), and the predictedAt of the termination warning still standing (null: none).
   */
  alertCrossedJson: text('alert_crossed_json').notNull().default('[]'),
  alertBalanceState: text('alert_balance_state', { enum: ['unfunded', 'funded', 'depleted'] }).notNull().default('unfunded'),
  alertWarnedZeroAtMs: integer('alert_warned_zero_at_ms'),
});

// A pending auto-recharge the bank wants the customer to authenticate (3-D Secure): the page where
// they do it. A side table because a pending ledger entry may only change by settling.
export const autoRechargeActions = sqliteTable(
  'auto_recharge_actions',
  {
    transactionId: text('transaction_id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    paymentIntentId: text('payment_intent_id').notNull(),
    actionUrl: text('action_url').notNull(),
    createdAtMs: integer('created_at_ms').notNull(),
  },
  (t) => [index('auto_recharge_actions_workspace').on(t.workspaceId)],
);

export const transactionTypes = ['deposit', 'usage', 'auto_recharge', 'refund', 'dispute', 'adjustment', 'grant', 'expiration'] as const;
export const transactionStatuses = ['completed', 'pending', 'failed', 'accumulating'] as const;

// The ledger. Append-only: a settled row (completed or failed) can never change, and no row can be
// deleted (see the triggers in migrations/shard/0000_baseline.sql). A pending row may move once to completed or failed.
export const transactions = sqliteTable(
  'transactions',
  {
    // seq orders the ledger and drives keyset pagination; id is the public handle.
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull(),
    workspaceId: text('workspace_id').notNull(),
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
    check('transactions_type_valid', sql`${t.type} IN ('deposit', 'usage', 'auto_recharge', 'refund', 'dispute', 'adjustment', 'grant', 'expiration')`),
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
    workspaceId: text('workspace_id').primaryKey(),
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
    // The last group of the ledger object's journal (workers/ledger/writes/entry_journal.ts) this shard
    // holds: written in the batch that projects it. A reader that got the object's answered seq
    // at the same time as it read here knows whether its rows include every answered entry.
    projectedJournalSeq: integer('projected_journal_seq').notNull().default(0),
    // The sum of the workspace's completed entries, kept by triggers on `transactions` (migration
    // 0002), never by the application: the ledger object checks it against balance_micros on every
    // load in O(1), where a SUM over the workspace's entries grew with every entry it ever made.
    ledgerSumMicros: integer('ledger_sum_micros').notNull().default(0),
    // The sum of the workspace's credit blocks' remainders, kept by triggers on `credit_blocks` and
    // `credit_funding` (migration 0003), never by the application: once `blocks_ready`, the ledger
    // object checks on every load that it equals balance_micros (every credit is a block, every debit
    // is funded by blocks).
    blocksSumMicros: integer('blocks_sum_micros').notNull().default(0),
    // 1 once the workspace's credit is held in blocks: new workspaces from the start; a workspace
    // that existed before blocks (migration 0003 sets 0) gets its blocks on its ledger object's next load
    // (workers/ledger/rules/blocks/backfill_blocks.ts), which sets it to 2 in the same batch (2: ready, but
    // debits from before have no funding rows).
    blocksReady: integer('blocks_ready').notNull().default(1),
  },
  (t) => [check('balances_non_negative', sql`${t.balanceMicros} >= 0`)],
);


// --- usage metering ------------------------------------------------------------------------------

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
    // The admins' emails about this event (migration 0007): none (not an emailed type, or the
    // workspace's alert_email_admins was off when the event was written) | pending (the consumer
    // still has to write one notification_emails row per admin) | done (the rows are written).
    // Written by insertOutbox in the event's own INSERT, so the obligation is as durable as the event.
    emailState: text('email_state').notNull().default('none'),
    // Where the webhook was last POSTed (PLATFORM_WEBHOOK_URL then): the notification log's recipient.
    webhookUrl: text('webhook_url'),
  },
  (t) => [
    index('platform_events_workspace').on(t.workspaceId, t.createdAtMs),
    index('platform_events_pending').on(t.deliveryState, t.createdAtMs),
    index('platform_events_email_pending').on(t.emailState, t.createdAtMs),
  ],
);

// One email about an outbox event to one admin of its workspace (Cloudflare Email Service, binding
// EMAIL). Written by the notification consumer from the event (workers/notifications/email_fan_out.ts),
// at most one per (event, recipient), then sent and marked delivered like the webhook.
export const notificationEmails = sqliteTable(
  'notification_emails',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    recipient: text('recipient').notNull(),
    // Composed once, when the row is written: every attempt sends the same message.
    subject: text('subject').notNull(),
    bodyText: text('body_text').notNull(),
    // The event's createdAtMs: the notification log lists an email beside the event that caused it.
    createdAtMs: integer('created_at_ms').notNull(),
    // pending | delivered | not_configured (no EMAIL binding or no sender address)
    deliveryState: text('delivery_state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastAttemptAtMs: integer('last_attempt_at_ms'),
    lastError: text('last_error'),
    deliveredAtMs: integer('delivered_at_ms'),
    // A consumer sending this email holds it until then: a concurrent redelivery sends nothing.
    leaseUntilMs: integer('lease_until_ms'),
    // The Message-ID the EMAIL binding answered with.
    messageId: text('message_id'),
  },
  (t) => [
    uniqueIndex('notification_emails_event_recipient').on(t.eventId, t.recipient),
    index('notification_emails_workspace').on(t.workspaceId, t.createdAtMs),
    index('notification_emails_pending').on(t.deliveryState, t.createdAtMs),
  ],
);

// --- Stripe disputes ------------------------------------------------------------------------------

// Disputes on burnrate's charges as Stripe last described them: the money moves through `dispute`
// ledger entries (keyed by the dispute id); this row keeps the dispute's status so that
// auto-recharge can hold off while one is open, and reconciliation can compare. In the shard: it is
// read per workspace (auto-recharge, reconciliation), and the webhook finds the workspace from the
// disputed charge's PaymentIntent metadata before it writes here.
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

// --- credit blocks (workers/ledger/rules/blocks/) ---------------------------------------------------------

export const creditCategories = ['paid', 'promotional'] as const;
export const creditSources = ['deposit', 'auto_recharge', 'grant', 'adjustment'] as const;

// Every credit that enters a workspace is a block: a paid deposit, a grant, a positive adjustment,
// a reinstated dispute. Debits draw on blocks in burn-down order (blocks/burn_down.ts) and record
// which ones in credit_funding. remaining_micros is kept by a trigger on credit_funding (migration
// 0003), never written by the application: remaining = amount - everything funded from the block.
export const creditBlocks = sqliteTable(
  'credit_blocks',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    category: text('category', { enum: creditCategories }).notNull(),
    source: text('source', { enum: creditSources }).notNull(),
    // The ledger entry that brought the credit in (a deposit, a grant, an adjustment, a dispute).
    transactionId: text('transaction_id').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    remainingMicros: integer('remaining_micros').notNull(),
    // 0-100, lower is spent first.
    priority: integer('priority').notNull(),
    expiresAtMs: integer('expires_at_ms'),
    createdAtMs: integer('created_at_ms').notNull(),
    // A grant's id as the caller chose it (what a void names); null for other blocks.
    grantId: text('grant_id'),
  },
  (t) => [
    // The open blocks the ledger object loads: only those with credit left.
    index('credit_blocks_open').on(t.workspaceId).where(sql`${t.remainingMicros} > 0`),
    uniqueIndex('credit_blocks_grant').on(t.workspaceId, t.grantId),
    check('credit_blocks_category_valid', sql`${t.category} IN ('paid', 'promotional')`),
    check('credit_blocks_source_valid', sql`${t.source} IN ('deposit', 'auto_recharge', 'grant', 'adjustment')`),
    check('credit_blocks_amount_positive', sql`${t.amountMicros} > 0`),
    // The last line of defence against spending a credit twice: funding beyond a block aborts its batch.
    check('credit_blocks_remaining_within', sql`${t.remainingMicros} >= 0 AND ${t.remainingMicros} <= ${t.amountMicros}`),
    check('credit_blocks_priority_valid', sql`${t.priority} BETWEEN 0 AND 100`),
  ],
);

// Which blocks paid for a debit: one row per (entry, block), append-only, written in the batch of the
// entry (journaled with it for deductions and adjustments). The rows of an entry add up to what it
// took (its amount, negated; the forgiven part is not funded).
export const creditFunding = sqliteTable(
  'credit_funding',
  {
    transactionId: text('transaction_id').notNull(),
    blockId: text('block_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    amountMicros: integer('amount_micros').notNull(),
    // Order of the draws within the entry (burn-down order).
    position: integer('position').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.transactionId, t.blockId] }),
    index('credit_funding_block').on(t.blockId),
    check('credit_funding_amount_positive', sql`${t.amountMicros} > 0`),
  ],
);

// --- spend limits --------------------------------------------------------------------------------

// A member's spend limit per UTC day or calendar month (PUT /v1/billing/spend-limits/:memberId),
// written only by the workspace's ledger object, which enforces it from memory
// (workers/ledger/rules/limits/). Removing a limit deletes its row.
export const spendLimits = sqliteTable(
  'spend_limits',
  {
    workspaceId: text('workspace_id').notNull(),
    memberId: text('member_id').notNull(),
    limitMicros: integer('limit_micros').notNull(),
    // day | month (UTC)
    period: text('period', { enum: ['day', 'month'] }).notNull(),
    updatedAtMs: integer('updated_at_ms').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.memberId] }),
    check('spend_limits_positive', sql`${t.limitMicros} > 0`),
    check('spend_limits_period_valid', sql`${t.period} IN ('day', 'month')`),
  ],
);
