// The internal API (/internal/v1/*) for the platform's own services: tenancy, metering, charges,
// pricing. Every mutation is idempotent by an id; when the caller gives none the SDK makes one up
// before the first attempt, so its retries can never apply a mutation twice.
import { newIdempotencyKey } from './ids.js';
import { segment, Transport, type TransportOptions } from './transport.js';
import type {
  AdjustmentBody,
  CaptureHoldBody,
  CreateHoldBody,
  Hold,
  HoldCapture,
  HoldList,
  CreateApiKeyBody,
  CreatedApiKey,
  CreatedMember,
  CreatedWorkspace,
  CreateMemberBody,
  CreateWorkspaceBody,
  CreateDashboardLinkBody,
  CreditCheck,
  DashboardLink,
  DeductionBody,
  EndedDashboardSessions,
  GrantBody,
  GrantResult,
  PlatformEventList,
  NotificationPage,
  NotificationsQuery,
  PlatformEventsQuery,
  PriceList,
  Pricing,
  ReconciliationReport,
  ResizeResourceBody,
  Resource,
  RevokedApiKey,
  SandboxRuntimeQuote,
  SandboxRuntimeQuoteQuery,
  StartResourceBody,
  StopResourceBody,
  StorageQuota,
  Transaction,
  UsageAccepted,
  UsageEvent,
  UsageEventPage,
  UsageEventsQuery,
  WithOptionalId,
} from './types.js';

export interface BurnrateInternalOptions extends TransportOptions {
  /** The Worker's INTERNAL_API_TOKEN. */
  token: string;
}

/** The body with its idempotency id filled in (the caller's, else a new one). */
const withId = <T extends { id?: string }>(body: T, label: string) => ({ ...body, id: body.id ?? newIdempotencyKey(label) });

class WorkspacesApi {
  constructor(private readonly http: Transport) {}

  /** A workspace with its first admin; the admin's API key is in the answer, once. */
  create(body: WithOptionalId<CreateWorkspaceBody>): Promise<CreatedWorkspace> {
    return this.http.request({ method: 'POST', path: '/internal/v1/workspaces', body: withId(body, 'workspace') });
  }
}

class MembersApi {
  constructor(private readonly http: Transport) {}

  /** A member (admin or member) with a first API key, returned once. */
  create(workspaceId: string, body: WithOptionalId<CreateMemberBody>): Promise<CreatedMember> {
    return this.http.request({ method: 'POST', path: `/internal/v1/workspaces/${segment(workspaceId)}/members`, body: withId(body, 'member') });
  }

  /** Signs the member out of the billing dashboard everywhere (key and one-time-link sessions); idempotent. */
  endDashboardSessions(workspaceId: string, memberId: string): Promise<EndedDashboardSessions> {
    return this.http.request({ method: 'DELETE', path: `/internal/v1/workspaces/${segment(workspaceId)}/members/${segment(memberId)}/dashboard-sessions` });
  }
}

class ApiKeysApi {
  constructor(private readonly http: Transport) {}

  create(workspaceId: string, body: WithOptionalId<CreateApiKeyBody>): Promise<CreatedApiKey> {
    return this.http.request({ method: 'POST', path: `/internal/v1/workspaces/${segment(workspaceId)}/api-keys`, body: withId(body, 'apikey') });
  }

  /** Idempotent: revoking again answers with the first revocation. */
  revoke(workspaceId: string, keyId: string): Promise<RevokedApiKey> {
    return this.http.request({ method: 'DELETE', path: `/internal/v1/workspaces/${segment(workspaceId)}/api-keys/${segment(keyId)}` });
  }
}

class DashboardLinksApi {
  constructor(private readonly http: Transport) {}

  /** A one-time sign-in link to the billing dashboard for a member (15 minutes unless `ttlSeconds`). */
  create(workspaceId: string, body: WithOptionalId<CreateDashboardLinkBody>): Promise<DashboardLink> {
    return this.http.request({ method: 'POST', path: `/internal/v1/workspaces/${segment(workspaceId)}/dashboard-links`, body: withId(body, 'dashboard-link') });
  }
}

class UsageApi {
  constructor(private readonly http: Transport) {}

  /**
   * 1–1000 events, of any workspaces. Give each event your own id when you may send it again
   * yourself (after a crash, say): the SDK's generated ids only protect its own retries.
   */
  record(events: Array<WithOptionalId<UsageEvent>>): Promise<UsageAccepted> {
    return this.http.request({ method: 'POST', path: '/internal/v1/usage', body: { events: events.map((e) => withId(e, 'usage')) } });
  }

  /**
   * A page of the raw events billed in one hour (`hour`: a whole ISO hour) while they are inside
   * the retention window; pass `nextCursor` as `cursor` for the next page.
   */
  events(workspaceId: string, query: UsageEventsQuery): Promise<UsageEventPage> {
    return this.http.request({ method: 'GET', path: `/internal/v1/workspaces/${segment(workspaceId)}/usage-events`, query: { ...query } });
  }
}

class AdjustmentsApi {
  constructor(private readonly http: Transport) {}

  /** A grant (positive) or a correction (negative, down to a zero balance at most). */
  create(body: WithOptionalId<AdjustmentBody>): Promise<Transaction> {
    return this.http.request({ method: 'POST', path: '/internal/v1/adjustments', body: withId(body, 'adjustment') });
  }
}

class DeductionsApi {
  constructor(private readonly http: Transport) {}

  /** A resource charge, all or nothing: `insufficient_credits` (402) records nothing. */
  create(body: WithOptionalId<DeductionBody>): Promise<Transaction> {
    return this.http.request({ method: 'POST', path: '/internal/v1/deductions', body: withId(body, 'deduction') });
  }
}

class GrantsApi {
  constructor(private readonly http: Transport) {}

  /** Credit as a block of its own: promotional, priority 50, never expiring unless told otherwise. */
  create(body: WithOptionalId<GrantBody>): Promise<GrantResult> {
    return this.http.request({ method: 'POST', path: '/internal/v1/grants', body: withId(body, 'grant') });
  }

  /** Removes what is left of the grant now (an `expiration`); voiding again answers the same. */
  void(id: string): Promise<GrantResult> {
    return this.http.request({ method: 'POST', path: `/internal/v1/grants/${segment(id)}/void` });
  }
}

class HoldsApi {
  constructor(private readonly http: Transport) {}

  /**
   * Reserves credits for work whose cost is not known yet (a model stream, an agent step): 402
   * `insufficient_credits` when the balance less what is held cannot cover it, 402
   * `spend_limit_exceeded` past the member's limit; nothing is held then. The id (generated if
   * omitted) is what capture and release name.
   */
  create(body: WithOptionalId<CreateHoldBody>): Promise<Hold> {
    return this.http.request({ method: 'POST', path: '/internal/v1/holds', body: withId(body, 'hold') });
  }

  /**
   * Charges what the work cost (one `usage` transaction) and frees the rest; 0 releases. May exceed
   * the hold (the excess is taken as far as the balance covers it, the rest forgiven). Idempotent
   * for the same amount; another amount is 409 `idempotency_conflict`, a released hold 409 `hold_closed`.
   */
  capture(id: string, amountMicros: number, options: Omit<CaptureHoldBody, 'amountMicros'> = {}): Promise<HoldCapture> {
    return this.http.request({ method: 'POST', path: `/internal/v1/holds/${segment(id)}/capture`, body: { ...options, amountMicros } });
  }

  /** Frees a hold; idempotent. A captured hold is 409 `hold_closed`. */
  async release(id: string, options: { workspaceId?: string } = {}): Promise<Hold> {
    const answer: { hold: Hold } = await this.http.request({ method: 'POST', path: `/internal/v1/holds/${segment(id)}/release`, body: options });
    return answer.hold;
  }

  /** The workspace's active holds, oldest first. */
  list(workspaceId: string): Promise<HoldList> {
    return this.http.request({ method: 'GET', path: `/internal/v1/workspaces/${segment(workspaceId)}/holds` });
  }
}

class PricingApi {
  constructor(private readonly http: Transport) {}

  get(): Promise<PriceList> {
    return this.http.request({ method: 'GET', path: '/internal/v1/pricing' });
  }

  /** Replaces the price list for usage from now on; sending the list in force changes nothing. */
  set(pricing: Pricing): Promise<PriceList> {
    return this.http.request({ method: 'PUT', path: '/internal/v1/pricing', body: pricing });
  }
}

class QuotesApi {
  constructor(private readonly http: Transport) {}

  /** What running an instance type for some seconds costs, and whether the balance covers it. */
  sandboxRuntime(query: SandboxRuntimeQuoteQuery): Promise<SandboxRuntimeQuote> {
    return this.http.request({ method: 'GET', path: '/internal/v1/quotes/sandbox-runtime', query: { ...query } });
  }
}

class ResourcesApi {
  constructor(private readonly http: Transport) {}

  /** Starts metering an instance or a volume. The id is the resource's id (generated if omitted). */
  start(body: WithOptionalId<StartResourceBody>): Promise<Resource> {
    return this.http.request({ method: 'POST', path: '/internal/v1/resources', body: withId(body, 'res') });
  }

  /** Stops metering; idempotent (a second stop answers with the first). */
  stop(id: string, body: StopResourceBody = {}): Promise<Resource> {
    return this.http.request({ method: 'POST', path: `/internal/v1/resources/${segment(id)}/stop`, body });
  }

  /** Changes a volume's size from `at` (default now); idempotent for the same size. */
  resize(id: string, body: ResizeResourceBody): Promise<Resource> {
    return this.http.request({ method: 'POST', path: `/internal/v1/resources/${segment(id)}/resize`, body });
  }
}

class EventsApi {
  constructor(private readonly http: Transport) {}

  /** A workspace's recent platform notifications with their delivery state, newest first. */
  list(workspaceId: string, query: PlatformEventsQuery = {}): Promise<PlatformEventList> {
    return this.http.request({ method: 'GET', path: `/internal/v1/workspaces/${segment(workspaceId)}/events`, query: { ...query } });
  }
}

class NotificationsApi {
  constructor(private readonly http: Transport) {}

  /**
   * Every notification sent about the workspace, newest first: each platform webhook and each alert
   * email to an admin, with whether it was delivered. Pass `nextCursor` back as `cursor` for the next page.
   */
  list(workspaceId: string, query: NotificationsQuery = {}): Promise<NotificationPage> {
    return this.http.request({ method: 'GET', path: `/internal/v1/workspaces/${segment(workspaceId)}/notifications`, query: { ...query } });
  }
}

class StripeApi {
  constructor(private readonly http: Transport) {}

  /**
   * Reconciles with Stripe now (the hourly cron does too): replays Stripe's events since the last
   * run, settles deposits pending for over 30 minutes, compares paid, refunded and disputed amounts
   * with the ledger. Safe to repeat: a second run repairs nothing.
   */
  reconcile(): Promise<ReconciliationReport> {
    return this.http.request({ method: 'POST', path: '/internal/v1/stripe/reconcile' });
  }

  /** The last reconciliation's report (404 `not_found` before the first run). */
  reconciliation(): Promise<ReconciliationReport> {
    return this.http.request({ method: 'GET', path: '/internal/v1/stripe/reconciliation' });
  }
}

export class BurnrateInternal {
  readonly workspaces: WorkspacesApi;
  readonly members: MembersApi;
  readonly apiKeys: ApiKeysApi;
  readonly dashboardLinks: DashboardLinksApi;
  readonly usage: UsageApi;
  readonly adjustments: AdjustmentsApi;
  readonly deductions: DeductionsApi;
  readonly grants: GrantsApi;
  readonly holds: HoldsApi;
  readonly pricing: PricingApi;
  readonly quotes: QuotesApi;
  readonly resources: ResourcesApi;
  readonly events: EventsApi;
  readonly notifications: NotificationsApi;
  readonly stripe: StripeApi;
  private readonly http: Transport;

  constructor(options: BurnrateInternalOptions) {
    if (!options.token) throw new TypeError('burnrate: token is required');
    this.http = new Transport(options, { authorization: `Bearer ${options.token}` });
    this.workspaces = new WorkspacesApi(this.http);
    this.members = new MembersApi(this.http);
    this.apiKeys = new ApiKeysApi(this.http);
    this.dashboardLinks = new DashboardLinksApi(this.http);
    this.usage = new UsageApi(this.http);
    this.adjustments = new AdjustmentsApi(this.http);
    this.deductions = new DeductionsApi(this.http);
    this.grants = new GrantsApi(this.http);
    this.holds = new HoldsApi(this.http);
    this.pricing = new PricingApi(this.http);
    this.quotes = new QuotesApi(this.http);
    this.resources = new ResourcesApi(this.http);
    this.events = new EventsApi(this.http);
    this.notifications = new NotificationsApi(this.http);
    this.stripe = new StripeApi(this.http);
  }

  /**
   * Can the workspace spend `amountMicros` now (active holds aside)? With `memberId`, within the
   * member's spend limit too (`reason: 'spend_limit'`). Answered from memory, for the hot path.
   */
  creditCheck(workspaceId: string, amountMicros: number, memberId?: string): Promise<CreditCheck> {
    return this.http.request({
      method: 'GET',
      path: `/internal/v1/workspaces/${segment(workspaceId)}/credit-check`,
      query: memberId === undefined ? { amountMicros } : { amountMicros, memberId },
    });
  }

  /** Storage in use and whether the workspace's volumes are accessible (false after zero balance). */
  storageQuota(workspaceId: string): Promise<StorageQuota> {
    return this.http.request({ method: 'GET', path: `/internal/v1/workspaces/${segment(workspaceId)}/storage-quota` });
  }
}
