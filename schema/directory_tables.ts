// The directory D1 (binding DB): what is looked up across workspaces — the workspaces themselves
// (with the ledger shard each one lives on), members, API keys, dashboard links, prices, Stripe
// customers, checkout sessions and processed Stripe events, reconciliation runs, and the replay
// records of idempotent creates. No money moves here: the ledger is in the shards
// (shard_tables.ts). Time columns are epoch milliseconds.
import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const workspaces = sqliteTable('workspaces', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  planId: text('plan_id').notNull().default('payg'),
  createdAtMs: integer('created_at_ms').notNull(),
  /**
   * The binding name of the ledger shard D1 holding this workspace's ledger (`LEDGER_SHARD_2`),
   * chosen once at creation (workers/storage/placement.ts) and never recomputed.
   */
  shard: text('shard').notNull(),
  /**
   * Where the workspace's ledger object lives (a Durable Objects location hint: `wnam` … `me`),
   * chosen at creation and never changed (workers/regions/). Rows from before regions are `enam`.
   */
  homeRegion: text('home_region').notNull().default('enam'),
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

// Which workspace each metered resource id belongs to. Resource ids are the platform's own and
// unique across workspaces, while the resources themselves live in their workspace's shard: this is
// how an id is kept to one workspace (another workspace's use of it is a 409) and how a stop or a
// resize by id finds the workspace, and so its shard. Claimed before the ledger object starts the
// resource; a claim whose start was refused stays with its workspace (which may retry the id).
export const resourceOwners = sqliteTable('resource_owners', {
  resourceId: text('resource_id').primaryKey(),
  workspaceId: text('workspace_id').notNull(),
  claimedAtMs: integer('claimed_at_ms').notNull(),
});

// Which workspace each grant id belongs to (POST /internal/v1/grants): the id the caller chose is
// what a void names, without its workspace, and the grant itself lives in its workspace's shard.
// Claimed before the ledger object records the grant; the same id with another workspace is a 409.
export const grantOwners = sqliteTable('grant_owners', {
  grantId: text('grant_id').primaryKey(),
  workspaceId: text('workspace_id').notNull(),
  claimedAtMs: integer('claimed_at_ms').notNull(),
});

// --- pricing ------------------------------------------------------------------------------------

// Versioned price lists. A version applies to usage that occurred at or after effective_from_ms and
// before the next version's; changing prices never re-prices the past.
export const priceLists = sqliteTable('price_lists', {
  version: integer('version').primaryKey({ autoIncrement: true }),
  effectiveFromMs: integer('effective_from_ms').notNull(),
  pricingJson: text('pricing_json').notNull(),
  createdAtMs: integer('created_at_ms').notNull(),
});

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

// Stripe events already processed, across all workspaces (the webhook knows the event id before it
// knows the workspace). Written right after the event's effect has committed in the workspace's
// shard: the effect itself is idempotent per Stripe object, so an event whose record was lost
// to a crash is simply applied again, as a no-op, by the redelivery or by reconciliation.
export const stripeEvents = sqliteTable('stripe_events', {
  eventId: text('event_id').primaryKey(),
  type: text('type').notNull(),
  workspaceId: text('workspace_id'),
  processedAtMs: integer('processed_at_ms').notNull(),
});

// Each reconciliation run with Stripe and its report; the newest row holds the event cursor the
// next run starts from (minus an overlap).
export const reconciliationRuns = sqliteTable('reconciliation_runs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  startedAtMs: integer('started_at_ms').notNull(),
  finishedAtMs: integer('finished_at_ms').notNull(),
  /** Stripe event `created` (epoch seconds) of the newest event seen: the next run lists from here. */
  eventCursorSeconds: integer('event_cursor_seconds').notNull(),
  /** The last workspace whose ledger this run compared with Stripe in the rolling audit; null: the next run starts over. */
  compareCursor: text('compare_cursor'),
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

// Dashboard sessions, one row a sign-in. The signed cookie names its row (the session id, kept
// here only as a SHA-256 hash, like link tokens) and a session counts only while its row is open
// (ended_at_ms null) and unexpired: signing out ends every copy of the cookie at once, and revoking
// a member's key or ending the member's sessions ends them wherever they are, link sessions too.
// Read by primary key on every dashboard request, joined with the member (workers/dashboard/load_session.ts).
export const dashboardSessions = sqliteTable(
  'dashboard_sessions',
  {
    /** SHA-256 (hex) of the cookie's session id. */
    idHash: text('id_hash').primaryKey(),
    workspaceId: text('workspace_id').notNull().references(() => workspaces.id),
    memberId: text('member_id').notNull().references(() => members.id),
    /** The API key signed in with; null for a one-time link. */
    keyId: text('key_id'),
    createdAtMs: integer('created_at_ms').notNull(),
    expiresAtMs: integer('expires_at_ms').notNull(),
    /** When it was signed out or revoked; null while it is open. */
    endedAtMs: integer('ended_at_ms'),
  },
  (t) => [index('dashboard_sessions_member').on(t.memberId), index('dashboard_sessions_expires').on(t.expiresAtMs)],
);

// --- holds ----------------------------------------------------------------------------------------

// Which workspace each hold id belongs to. Hold ids are the caller's and unique across workspaces,
// while the holds themselves live in their workspace's ledger object: a capture or release names
// only the hold, and finds its workspace (and so its object) here. Claimed when the hold is made; the
// same id in another workspace is a 409, as the same id with another body.
export const holdOwners = sqliteTable('hold_owners', {
  holdId: text('hold_id').primaryKey(),
  workspaceId: text('workspace_id').notNull(),
  claimedAtMs: integer('claimed_at_ms').notNull(),
});
