import { z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { requireInternalToken } from './auth/require_internal_token';
import type { AppEnv } from './env';
import { ApiError } from './errors/api_error';
import { handleError } from './errors/error_handler';
import { benchFloor } from './routes/bench_floor';
import { localScheduledRoute } from './settlement/local_scheduled_route';
import { newId } from './lib/ids';
import { errorResponses, jsonResponse } from './openapi/schemas';
import { registerApiKeyRoutes } from './routes/internal/api_keys';
import { registerCreateMember } from './routes/internal/create_member';
import { registerCreateWorkspace } from './routes/internal/create_workspace';
import { registerCreditCheck } from './routes/internal/credit_check';
import { registerLedgerEntryRoutes } from './routes/internal/ledger_entries';
import { registerPlatformEventRoutes } from './routes/internal/platform_events';
import { registerPricingRoutes } from './routes/internal/pricing';
import { registerQuoteRoutes } from './routes/internal/quotes';
import { registerResourceRoutes } from './routes/internal/resources';
import { registerUsageRoutes } from './routes/internal/usage';
import { registerAutoTopupRoutes } from './routes/public/auto_topup';
import { registerCreditRoutes } from './routes/public/credits';
import { registerHistoryRoutes } from './routes/public/history';
import { registerMyUsageRoute } from './routes/public/my_usage';
import { registerTopupRoutes } from './routes/public/topup';
import { stripeWebhook } from './routes/stripe_webhook';
import { newRouter } from './routes/router';

const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = newId('req');
  c.set('requestId', id);
  c.header('X-Request-Id', id);
  await next();
});

export function buildApp() {
  const app = newRouter();
  app.use('*', requestId);
  app.onError(handleError);
  app.notFound(() => {
    throw new ApiError('not_found', 'No such route.');
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.route('/__bench', benchFloor);
  app.route('/__scheduled', localScheduledRoute);

  // Internal API: one token check for the whole prefix, before any validation.
  app.use('/internal/v1/*', requireInternalToken);
  registerCreateWorkspace(app);
  registerCreateMember(app);
  registerApiKeyRoutes(app);
  registerCreditCheck(app);
  registerLedgerEntryRoutes(app);
  registerUsageRoutes(app);
  registerPricingRoutes(app);
  registerResourceRoutes(app);
  registerQuoteRoutes(app);
  registerPlatformEventRoutes(app);

  // Public API: each route carries requireApiKey so the OpenAPI document shows its security.
  registerCreditRoutes(app);
  registerHistoryRoutes(app);
  registerAutoTopupRoutes(app);
  registerMyUsageRoute(app);
  registerTopupRoutes(app);
  app.route('/v1/stripe/webhook', stripeWebhook);

  // The webhook reads its raw body itself (signature first), so it is a plain route; described here.
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/stripe/webhook',
    tags: ['stripe'],
    summary: 'Stripe webhook receiver (authenticated only by Stripe-Signature, 300 s tolerance)',
    description:
      'Handles checkout.session.completed, checkout.session.async_payment_succeeded/failed, checkout.session.expired, payment_intent.succeeded/payment_failed (auto-recharge) and charge.refunded. Each event is applied once, in any order; unknown types are acknowledged. A processing failure answers 500 so that Stripe retries.',
    request: { headers: z.object({ 'stripe-signature': z.string() }) },
    responses: {
      200: jsonResponse('Processed, a duplicate, or ignored.', z.object({ received: z.boolean(), duplicate: z.boolean().optional(), ignored: z.boolean().optional() })),
      ...errorResponses(400, 503),
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'internalToken', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'burnrate', version: '0.1.0', description: 'Prepaid-credits billing for developer platforms.' },
  });
  return app;
}
