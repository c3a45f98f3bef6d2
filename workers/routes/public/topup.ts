import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { checkoutSessions } from '../../../schema/tables';
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { ApiError } from '../../errors/api_error';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { MICROS_PER_CENT } from '../../lib/money';
import { errorResponses, IdempotencyIdSchema, jsonBody, jsonResponse, TransactionSchema } from '../../openapi/schemas';
import { applyCheckoutSession } from '../../stripe/apply_checkout';
import { ensureCustomer } from '../../stripe/ensure_customer';
import { callStripe, stripeFor } from '../../stripe/stripe_client';
import type { Router } from '../router';

const TopupBody = z.object({ amountCents: z.int().min(500).max(1_000_000).openapi({ description: 'Whole US cents, $5 to $10,000.', example: 2500 }) });
const TopupCreated = z
  .object({ checkoutUrl: z.string(), sessionId: z.string(), transactionId: z.string() })
  .openapi('TopupCreated');

export const topupRoute = createRoute({
  method: 'post',
  path: '/v1/billing/topup',
  tags: ['billing'],
  summary: 'Start a Stripe Checkout top-up (admin); records a pending deposit',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: {
    headers: z.object({ 'idempotency-key': IdempotencyIdSchema.optional().openapi({ description: 'Retries with the same key return the same session.' }) }),
    body: jsonBody(TopupBody),
  },
  responses: { 201: jsonResponse('Pay at checkoutUrl.', TopupCreated), ...errorResponses(400, 401, 403, 409, 429, 503) },
});

export const successRoute = createRoute({
  method: 'get',
  path: '/v1/billing/success',
  tags: ['billing'],
  summary: 'Verify a Checkout Session with Stripe and credit it if paid (once, shared with the webhook)',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  request: { query: z.object({ session_id: z.string().min(1).max(255) }) },
  responses: {
    200: jsonResponse('The deposit as it stands.', z.object({ status: z.enum(['completed', 'pending', 'failed']), transaction: TransactionSchema }).openapi('TopupStatus')),
    ...errorResponses(400, 401, 404, 429, 503),
  },
});

function returnUrl(requestUrl: string, path: string) {
  const url = new URL(requestUrl);
  return `${url.origin}${path}`;
}

export const registerTopupRoutes = (app: Router) =>
  app
    .openapi(topupRoute, async (c) => {
      const { workspaceId } = c.get('auth');
      const { amountCents } = c.req.valid('json');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const customer = await ensureCustomer(c.env, workspaceId);
      const dollars = (amountCents / 100).toFixed(2);
      const session = await callStripe('checkout session', () =>
        stripeFor(c.env).checkout.sessions.create(
          {
            mode: 'payment',
            customer,
            client_reference_id: workspaceId,
            line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: amountCents, product_data: { name: `burnrate credits ($${dollars})` } } }],
            // Save the card for off-session auto-recharge, and issue an invoice for the payment.
            payment_intent_data: { setup_future_usage: 'off_session', metadata: { workspaceId } },
            invoice_creation: { enabled: true },
            metadata: { workspaceId },
            success_url: returnUrl(c.req.url, '/dashboard?checkout=success&session_id={CHECKOUT_SESSION_ID}'),
            cancel_url: returnUrl(c.req.url, '/dashboard?checkout=cancelled'),
          },
          idempotencyKey ? { idempotencyKey: `burnrate-topup-${workspaceId}-${idempotencyKey}` } : undefined,
        ),
      );
      if (!session.url) throw new ApiError('stripe_unavailable', 'Stripe returned a session without a checkout URL.');
      const tx = unwrap(
        await ledgerFor(c.env, workspaceId).openDeposit({
          workspaceId,
          key: `checkout:${session.id}`,
          type: 'deposit',
          amountMicros: amountCents * MICROS_PER_CENT,
          description: `Credit top-up ($${dollars})`,
          sessionId: session.id,
        }),
      );
      return c.json({ checkoutUrl: session.url, sessionId: session.id, transactionId: tx.value.id }, 201);
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
