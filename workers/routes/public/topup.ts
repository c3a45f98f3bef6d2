import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { checkoutSessions } from '../../../schema/tables';
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { ApiError } from '../../errors/api_error';
import { startCheckoutTopup } from '../../billing/start_checkout_topup';
import { depositExample, EX } from '../../openapi/examples';
import { errorResponses, IdempotencyIdSchema, jsonBody, jsonResponse, TransactionSchema } from '../../openapi/schemas';
import { applyCheckoutSession } from '../../stripe/apply_checkout';
import { callStripe, stripeFor } from '../../stripe/stripe_client';
import type { Router } from '../router';

const TopupBody = z.object({ amountCents: z.int().min(500).max(1_000_000).openapi({ description: 'Whole US cents, $5 to $10,000.', example: 2500 }) });
const TopupCreated = z
  .object({
    checkoutUrl: z.string().openapi({ description: 'Send the payer here (Stripe-hosted Checkout).' }),
    sessionId: z.string().openapi({ description: 'The Checkout Session id (cs_…), for GET /v1/billing/success.' }),
    transactionId: z.string().openapi({ description: 'The pending deposit (txn_…).' }),
  })
  .openapi('TopupCreated', {
    example: { checkoutUrl: `https://checkout.stripe.com/c/pay/${EX.checkoutSessionId}`, sessionId: EX.checkoutSessionId, transactionId: EX.depositTransactionId },
  });

export const topupRoute = createRoute({
  method: 'post',
  path: '/v1/billing/topup',
  operationId: 'createTopup',
  tags: ['Billing'],
  summary: 'Start a Stripe Checkout top-up (admin)',
  description:
    'Creates a Checkout Session for `amountCents` (US cents; 1 cent = 10,000 micros) and records a `pending` deposit. Checkout sends the payer back to this deployment\'s `PUBLIC_BASE_URL` (never to the request\'s Host); without it, 503 `stripe_unavailable`. It is credited once, when Stripe reports it paid (webhook or GET /v1/billing/success); the card is saved for auto-top-up. **Idempotency:** optional `Idempotency-Key` header: a retry with the same key and amount answers the same session and deposit; the same key with another amount is 409. Without it, every call is a new session.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: {
    headers: z.object({
      'idempotency-key': IdempotencyIdSchema.optional().openapi({ description: 'Retries with the same key return the same session.', example: 'topup-2026-11-21-a' }),
    }),
    body: jsonBody(TopupBody, { amountCents: 2500 }),
  },
  responses: {
    201: jsonResponse('Pay at checkoutUrl.', TopupCreated, {
      checkoutUrl: `https://checkout.stripe.com/c/pay/${EX.checkoutSessionId}`,
      sessionId: EX.checkoutSessionId,
      transactionId: EX.depositTransactionId,
    }),
    ...errorResponses(
      ['invalid_request', 'amountCents: Too small: expected number to be >=500'],
      'unauthenticated',
      'forbidden',
      ['idempotency_conflict', 'This Idempotency-Key was already used with a different request.'],
      'stripe_unavailable',
      'rate_limited',
    ),
  },
});

export const successRoute = createRoute({
  method: 'get',
  path: '/v1/billing/success',
  operationId: 'confirmTopup',
  tags: ['Billing'],
  summary: 'Verify a Checkout Session with Stripe and credit it if paid',
  description:
    'Where Checkout sends the payer back. Asks Stripe for the session and, if paid, completes the deposit. **Idempotent:** the deposit is credited once, shared with the webhook, however often this is called.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: {
    query: z.object({ session_id: z.string().min(1).max(255).openapi({ description: 'The Checkout Session id from POST /v1/billing/topup.', example: EX.checkoutSessionId }) }),
  },
  responses: {
    200: jsonResponse(
      'The deposit as it stands.',
      z.object({ status: z.enum(['completed', 'pending', 'failed']), transaction: TransactionSchema }).openapi('TopupStatus'),
      { status: 'completed', transaction: depositExample },
    ),
    ...errorResponses(
      ['invalid_request', 'session_id: Invalid input: expected string, received undefined'],
      'unauthenticated',
      ['not_found', 'No such checkout session in this workspace.'],
      ['stripe_unavailable', 'Stripe did not answer (checkout session); nothing was charged. Try again.'],
      'rate_limited',
    ),
  },
});

export const registerTopupRoutes = (app: Router) =>
  app
    .openapi(topupRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const { amountCents } = c.req.valid('json');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      return c.json(await startCheckoutTopup(c.env, { workspaceId, amountCents, idempotencyKey }), 201);
    })
    .openapi(successRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const { session_id: sessionId } = c.req.valid('query');
      // Tenancy before Stripe: a session of another workspace (or none of ours) is a 404.
      const row = await drizzle(c.env.DB)
        .select({ sessionId: checkoutSessions.sessionId })
        .from(checkoutSessions)
        .where(and(eq(checkoutSessions.sessionId, sessionId), eq(checkoutSessions.workspaceId, workspaceId)))
        .get();
      if (!row) throw new ApiError('not_found', 'No such checkout session in this workspace.');
      const session = await callStripe('checkout session', () => stripeFor(c.env).checkout.sessions.retrieve(sessionId));
      const outcome = await applyCheckoutSession(c.env, session);
      if (!outcome) throw new ApiError('not_found', 'No such checkout session in this workspace.');
      return c.json(outcome, 200);
    });
