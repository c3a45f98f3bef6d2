import { createMiddleware } from 'hono/factory';
import { requireInternalToken } from './auth/require_internal_token';
import type { AppEnv } from './env';
import { ApiError } from './errors/api_error';
import { handleError } from './errors/error_handler';
import { localScheduledRoute } from './settlement/local_scheduled_route';
import { newId } from './lib/ids';
import { registerApiReference } from './docs/docs_page';
import { registerOpenApiDocument } from './openapi/document';
import { registerApiKeyRoutes } from './routes/internal/api_keys';
import { registerCreateMember } from './routes/internal/create_member';
import { registerCreateWorkspace } from './routes/internal/create_workspace';
import { registerDashboardLinkRoutes } from './routes/internal/dashboard_links';
import { registerMemberSessionRoutes } from './routes/internal/member_sessions';
import { dashboard } from './dashboard/dashboard_routes';
import { registerCreditCheck } from './routes/internal/credit_check';
import { registerHoldRoutes } from './routes/internal/holds';
import { registerSpendLimitRoutes } from './routes/public/spend_limits';
import { registerLedgerEntryRoutes } from './routes/internal/ledger_entries';
import { registerGrantRoutes } from './routes/internal/grants';
import { registerPlatformEventRoutes } from './routes/internal/platform_events';
import { registerNotificationRoutes } from './routes/internal/notifications';
import { registerPricingRoutes } from './routes/internal/pricing';
import { registerQuoteRoutes } from './routes/internal/quotes';
import { registerResourceRoutes } from './routes/internal/resources';
import { registerStripeReconciliationRoutes } from './routes/internal/stripe_reconciliation';
import { registerUsageRoutes } from './routes/internal/usage';
import { registerUsageEventRoutes } from './routes/internal/usage_events';
import { registerAutoTopupRoutes } from './routes/public/auto_topup';
import { registerAlertRoutes } from './routes/public/alerts';
import { registerCreditRoutes } from './routes/public/credits';
import { registerHistoryRoutes } from './routes/public/history';
import { registerHistoryCsvRoute } from './routes/public/history_csv';
import { registerMyUsageRoute } from './routes/public/my_usage';
import { registerPaymentMethodRoutes } from './routes/public/payment_methods';
import { registerTopupRoutes } from './routes/public/topup';
import { stripeWebhook } from './routes/stripe_webhook';
import { newRouter } from './routes/router';
import { requestBodyLimit } from './http/request_body_limit';
import { noStoreJson } from './http/no_store';
import { noteFarWrite } from './regions/far_reads';
import { callerRegion } from './regions/caller_region';

const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = newId('req');
  c.set('requestId', id);
  c.header('X-Request-Id', id);
  await next();
});

// The one public GET that writes: it credits a paid Checkout deposit (once, shared with the webhook).
const WRITING_GETS = new Set(['/v1/billing/success']);

const farPublicWrites = createMiddleware<AppEnv>(async (c, next) => {
  const writes = (c.req.method !== 'GET' && c.req.method !== 'HEAD') || WRITING_GETS.has(c.req.path);
  // Read before the write: a bad X-Burnrate-Region (simulated regions) is refused before anything is written.
  if (writes) callerRegion(c.env, c.req.raw);
  await next();
  if (!writes || c.res.status >= 400) return;
  const auth = c.get('auth') as AppEnv['Variables']['auth'] | undefined;
  if (auth) await noteFarWrite(c.env, c.req.raw, auth.workspaceId);
});

// Internal money writes the platform sends straight home from any region (not through the
// regional object, which marks its own): from a far region they move its read floor too, so a read
// there after them shows them. The body's workspaceId names the workspace (Hono keeps the parsed body).
const HOME_DIRECTED_WRITES = ['/internal/v1/adjustments', '/internal/v1/grants', '/internal/v1/resources'];

const farInternalWrites = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== 'POST') return next();
  // Read before the write: a bad X-Burnrate-Region (simulated regions) is refused before anything is written.
  callerRegion(c.env, c.req.raw);
  await next();
  if (c.res.status >= 400) return;
  const body = (await c.req.json().catch(() => null)) as { workspaceId?: unknown } | null;
  if (typeof body?.workspaceId === 'string') await noteFarWrite(c.env, c.req.raw, body.workspaceId);
});

export function buildApp() {
  const app = newRouter();
  app.use('*', requestId);
  // Around everything below, errors included: JSON answers are never cached.
  app.use('*', noStoreJson);
  // Before any route reads a body: over 1 MB is 413, too deeply nested JSON is 400.
  app.use('*', requestBodyLimit);
  app.onError(handleError);
  app.notFound(() => {
    throw new ApiError('not_found', 'No such route.');
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  registerApiReference(app); // GET /docs: the Scalar reference of /openapi.json
  app.route('/__scheduled', localScheduledRoute);

  // Internal API: one token check for the whole prefix, before any validation.
  app.use('/internal/v1/*', requireInternalToken);
  for (const path of HOME_DIRECTED_WRITES) app.use(path, farInternalWrites);
  registerCreateWorkspace(app);
  registerCreateMember(app);
  registerApiKeyRoutes(app);
  registerCreditCheck(app);
  registerLedgerEntryRoutes(app);
  registerGrantRoutes(app);
  registerHoldRoutes(app);
  registerUsageRoutes(app);
  registerUsageEventRoutes(app);
  registerPricingRoutes(app);
  registerResourceRoutes(app);
  registerQuoteRoutes(app);
  registerPlatformEventRoutes(app);
  registerNotificationRoutes(app);
  registerDashboardLinkRoutes(app);
  registerMemberSessionRoutes(app);
  registerStripeReconciliationRoutes(app);

  // A public write answered to a caller away from the workspace's home: that region's next reads
  // start from a bookmark that covers it (regions/far_reads.ts).
  app.use('/v1/*', farPublicWrites);
  // Public API: each route carries requireApiKey so the OpenAPI document shows its security.
  registerCreditRoutes(app);
  registerHistoryRoutes(app);
  registerHistoryCsvRoute(app);
  registerAutoTopupRoutes(app);
  registerAlertRoutes(app);
  registerSpendLimitRoutes(app);
  registerMyUsageRoute(app);
  registerTopupRoutes(app);
  registerPaymentMethodRoutes(app);
  app.route('/v1/stripe/webhook', stripeWebhook);

  // The billing dashboard: server-rendered pages with a signed session cookie (see workers/dashboard).
  app.route('/dashboard', dashboard);

  // /openapi.json: the routes above plus the plain ones (health, webhook), info, tags, servers.
  registerOpenApiDocument(app);
  return app;
}
