import { createRoute, z } from '@hono/zod-openapi';
import { confirmCheckoutTopup } from '../../billing/confirm_checkout';
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { topupWithSavedCard } from '../../billing/saved_card_topup';
import { startCheckoutTopup } from '../../billing/start_checkout_topup';
import { MAX_TOPUP_CENTS, MIN_TOPUP_CENTS } from '../../billing/topup_bounds';
import { depositExample, EX } from '../../openapi/examples';
import { errorResponses, IdempotencyIdSchema, jsonBody, jsonResponse, TransactionSchema } from '../../openapi/schemas';
import type { Router } from '../router';
import { replayedHeaders } from '../../http/idempotent_replayed';

const TopupBody = z.object({
  amountCents: z.int().min(MIN_TOPUP_CENTS).max(MAX_TOPUP_CENTS).openapi({ description: 'Whole US cents, $5 to $10,000.', example: 2500 }),
  paymentMethod: z
    .enum(['checkout', 'saved'])
    .default('checkout')
    .openapi({ description: '`checkout` (default): pay through Stripe Checkout. `saved`: charge the default saved card now.', example: 'checkout' }),
});
const pendingCheckoutDeposit = { ...depositExample, status: 'pending' as const, invoiceUrl: null, balanceAfterMicros: null };
const savedCardDeposit = {
  ...depositExample,
  description: 'Credit top-up ($25.00), saved card',
  invoiceUrl: 'https://invoice.stripe.com/i/acct_1Nb2/test_YWNjdF8xTmIy',
};
const TopupCreated = z
  .object({
    checkoutUrl: z.string().nullable().openapi({ description: 'Send the payer here (Stripe-hosted Checkout); null when the saved card was charged.' }),
    sessionId: z.string().nullable().openapi({ description: 'The Checkout Session id (cs_…), for GET /v1/billing/success; null when the saved card was charged.' }),
    transactionId: z.string().openapi({ description: 'The deposit (txn_…).' }),
    transaction: TransactionSchema,
  })
  .openapi('TopupCreated', {
    example: {
      checkoutUrl: `https://checkout.stripe.com/c/pay/${EX.checkoutSessionId}`,
      sessionId: EX.checkoutSessionId,
      transactionId: EX.depositTransactionId,
      transaction: pendingCheckoutDeposit,
    },
  });

export const topupRoute = createRoute({
  method: 'post',
  path: '/v1/billing/topup',
  operationId: 'createTopup',
  tags: ['Billing'],
  summary: 'Add credits: Stripe Checkout, or the saved card (admin)',
  description:
    '`paymentMethod: "checkout"` (default) creates a Checkout Session for `amountCents` (US cents; 1 cent = 10,000 micros) and records a `pending` deposit. Checkout sends the payer back to this deployment\'s `PUBLIC_BASE_URL` (never to the request\'s Host); without it, 503 `stripe_unavailable`. It is credited once, when Stripe reports it paid (webhook or GET /v1/billing/success); the card is saved and becomes the default. `paymentMethod: "saved"` charges the default saved card at once (`checkoutUrl` and `sessionId` are null): the deposit is `completed` (its `invoiceUrl` is a paid Stripe invoice, paid out of band by this payment), or `pending` if Stripe has not decided yet (the webhook settles it); a decline is 402 `payment_failed` with the deposit recorded as `failed`; no saved card is 409 `payment_method_required`. **Idempotency:** optional `Idempotency-Key` header: a retry with the same key and body answers the same deposit (and never charges twice); the same key with another amount or payment method is 409. Without it, every call is a new top-up.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: {
    headers: z.object({
      'idempotency-key': IdempotencyIdSchema.optional().openapi({ description: 'Retries with the same key return the same session.', example: 'topup-2026-11-21-a' }),
    }),
    body: jsonBody(TopupBody, { amountCents: 2500, paymentMethod: 'checkout' }),
  },
  responses: {
    201: {
      description: 'Checkout: pay at `checkoutUrl`. Saved card: the deposit as charged.',
      content: {
        'application/json': {
          schema: TopupCreated,
          examples: {
            checkout: {
              summary: 'paymentMethod: checkout',
              value: {
                checkoutUrl: `https://checkout.stripe.com/c/pay/${EX.checkoutSessionId}`,
                sessionId: EX.checkoutSessionId,
                transactionId: EX.depositTransactionId,
                transaction: pendingCheckoutDeposit,
              },
            },
            saved: { summary: 'paymentMethod: saved', value: { checkoutUrl: null, sessionId: null, transactionId: EX.depositTransactionId, transaction: savedCardDeposit } },
          },
        },
      },
    },
    ...errorResponses(
      ['invalid_request', 'amountCents: Too small: expected number to be >=500'],
      'unauthenticated',
      ['payment_failed', 'The saved card was declined; nothing was added (deposit txn_00mvxm2m80c6e8g0i2k4m6o8 is recorded as failed).'],
      'forbidden',
      ['idempotency_conflict', 'This Idempotency-Key was already used with a different request.'],
      ['payment_method_required', 'No saved payment method: pay with a new card through Checkout.'],
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
      const { amountCents, paymentMethod } = c.req.valid('json');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      if (paymentMethod === 'saved') {
        const { value, replayed } = await topupWithSavedCard(c.env, { workspaceId, amountCents, idempotencyKey });
        return c.json(value, 201, replayedHeaders(replayed));
      }
      const { value, replayed } = await startCheckoutTopup(c.env, { workspaceId, amountCents, idempotencyKey });
      return c.json(value, 201, replayedHeaders(replayed));
    })
    .openapi(successRoute, async (c) => {
      const { session_id: sessionId } = c.req.valid('query');
      return c.json(await confirmCheckoutTopup(c.env, c.get('auth').workspaceId, sessionId), 200);
    });
