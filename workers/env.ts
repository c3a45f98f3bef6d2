import type { WorkspaceLedger } from './ledger/object/workspace_ledger';
import type { HoldIdRegistry } from './tenancy/hold_id_registry';
import type { RegionalLedger } from './regions/regional_ledger';

// Bindings and secrets of the Worker. Secrets are optional in the type because a deployment may
// not have set them yet; code that needs one fails closed when it is missing.
export interface Env {
  /** The directory D1: workspaces (with their shard), members, keys, prices, Stripe ids (see storage/). */
  DB: D1Database;
  /** The ledger shards' D1 binding names, comma-separated, in order; only ever appended to. */
  LEDGER_SHARDS?: string;
  /** Optional: the shards new workspaces are placed on (default: all of LEDGER_SHARDS). */
  LEDGER_SHARDS_FOR_NEW_WORKSPACES?: string;
  /** The ledger shards themselves (LEDGER_SHARD_0 …), reached by name through workers/storage/. */
  [shard: `LEDGER_SHARD_${string}`]: D1Database;
  WORKSPACE_LEDGER: DurableObjectNamespace<WorkspaceLedger>;
  /** Which workspace owns each hold id (tenancy/hold_id_registry.ts). */
  HOLD_ID_REGISTRY: DurableObjectNamespace<HoldIdRegistry>;
  /** One object per (workspace, region) away from home: its escrow lease (workers/regions/). */
  REGIONAL_LEDGER: DurableObjectNamespace<RegionalLedger>;
  /**
   * Set to `enabled` only by `npm start`, the bench's server and vitest.config.ts (never in
   * wrangler.toml): one process stands for every region, the caller's region is named by the
   * X-Burnrate-Region header, and SIMULATED_INTER_REGION_RTT_MS applies (regions/caller_region.ts).
   */
  SIMULATED_REGIONS?: string;
  /** Simulated regions only: milliseconds every call between two regions takes (default 0). */
  SIMULATED_INTER_REGION_RTT_MS?: string;
  SETTLEMENT_QUEUE: Queue<SettlementMessage>;
  NOTIFICATION_QUEUE: Queue<NotificationMessage>;
  /** Per API key request budget of the public API (wrangler.toml); absent → not limited. */
  PUBLIC_API_RATE_LIMITER?: RateLimit;
  INTERNAL_API_TOKEN?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  /** Base URL of the local Stripe emulator, used when STRIPE_SECRET_KEY is unset (set by `npm start`). */
  STRIPE_EMULATOR_URL?: string;
  PLATFORM_WEBHOOK_URL?: string;
  /**
   * This deployment's public address (`https://billing.example.com`): Stripe Checkout's return URLs
   * and dashboard sign-in links are built on it, never on the request's Host header. Unset →
   * Checkout top-ups answer 503 stripe_unavailable. `npm start` sets it to http://127.0.0.1:<PORT>.
   */
  PUBLIC_BASE_URL?: string;
  PLATFORM_WEBHOOK_SECRET?: string;
  /**
   * Cloudflare Email Service (wrangler.toml `[[send_email]] name = "EMAIL"`; simulated locally by
   * wrangler): the admins' alert emails (notifications/send_emails.ts). Absent → not sent.
   */
  EMAIL?: SendEmail;
  /**
   * The address alert emails come from, on a domain onboarded to Email Service. Unset →
   * `burnrate@<PUBLIC_BASE_URL's host>`; neither → emails are recorded as not_configured.
   */
  EMAIL_FROM?: string;
  /**
   * Set to `enabled` only by the benchmark's own server, whose entry (bench/bench_worker.ts) is the
   * only one with the floor routes under /__bench: they answer 404 without it even there.
   */
  BENCH_ROUTES?: string;
  /**
   * Set only by the benchmark's own server: milliseconds added to every D1 round trip of the
   * ledger objects, as a deployed object far from its database sees (see ledger/object/d1_latency.ts).
   */
  BENCH_D1_LATENCY_MS?: string;
  /**
   * Set to `enabled` only by vitest.config.ts: the seeded simulator's fault injection and broken
   * rules (lib/sim_hooks.ts). Never set in wrangler.toml.
   */
  SIM_HOOKS?: string;
  /** balance.low fires when hours remaining drop below this (default 24). */
  LOW_BALANCE_HORIZON_HOURS?: string;
  /** Signs dashboard session cookies; when unset, a key is derived from INTERNAL_API_TOKEN. */
  DASHBOARD_SESSION_SECRET?: string;
  /** Set to `enabled` only by `npm start`: serves GET /__scheduled with its `time` honoured. */
  LOCAL_SCHEDULED_ROUTE?: string;
  /** Days usage event ids are remembered and deduplicated (default 35); older events are refused. */
  USAGE_EVENT_RETENTION_DAYS?: string;
  /** Raw usage events of every settled workspace-hour, gzipped NDJSON (see usage/archive_hour.ts). */
  USAGE_ARCHIVE: R2Bucket;
}

/** One workspace to settle: every closed hour before cutoffMs. */
export interface SettlementMessage {
  workspaceId: string;
  cutoffMs: number;
}

/** One outbox event to deliver to the platform. */
export interface NotificationMessage {
  eventId: string;
  /** The ledger shard holding the event; without it (the ledger object's own enqueue) every shard is asked. */
  shard?: string;
}

// Per-request values set by middleware.
export interface Variables {
  requestId: string;
  auth: ApiKeyPrincipal;
  /** Set by the dashboard's session middleware. */
  session: DashboardSession;
}

/** A signed-in dashboard user: who, in which workspace, and the CSRF token their forms carry. */
export interface DashboardSession {
  workspaceId: string;
  memberId: string;
  memberName: string;
  role: 'admin' | 'member';
  workspaceName: string;
  csrfToken: string;
  sid: string;
}

export interface ApiKeyPrincipal {
  keyId: string;
  workspaceId: string;
  memberId: string;
  role: 'admin' | 'member';
}

export interface AppEnv {
  Bindings: Env;
  Variables: Variables;
}
