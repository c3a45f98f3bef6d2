// Descriptions of the routes that are plain Hono handlers rather than createRoute() definitions:
// /healthz, and the Stripe webhook (it must read its raw body itself to check the signature, so
// zod does not validate it). Their behaviour is in app.ts and routes/stripe_webhook.ts.
import { z } from '@hono/zod-openapi';
import type { Router } from '../routes/router';
import { EX } from './examples';
import { errorResponses, jsonResponse } from './schemas';

const WebhookAnswer = z
  .object({
    received: z.boolean(),
    duplicate: z.boolean().optional().openapi({ description: 'The event id was already processed; nothing changed.' }),
    ignored: z.boolean().optional().openapi({ description: 'An event type burnrate does not act on.' }),
  })
  .openapi('StripeWebhookAnswer');

export function registerPlainRouteDocs(app: Router) {
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    tags: ['Service'],
    summary: 'Liveness check',
    description: 'Answers without touching D1 or Stripe; for load balancers and `npm start`.',
    responses: { 200: jsonResponse('The Worker is up.', z.object({ ok: z.literal(true) }).openapi('Health'), { ok: true }) },
  });

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/v1/stripe/webhook',
    operationId: 'receiveStripeWebhook',
    tags: ['Stripe'],
    summary: 'Stripe webhook receiver',
    description: [
      'Authenticated only by `Stripe-Signature` over the raw body (secret `STRIPE_WEBHOOK_SECRET`, 300 s tolerance either way: older or dated in the future is refused); a missing or bad signature is 400.',
      'No event body is trusted for amounts or states: each event only names the Stripe object, which is read back from Stripe before anything moves (the Checkout Session before a deposit is credited or failed, or a card saved; the PaymentIntent; the dispute; the refunds of the PaymentIntent).',
      'Handles `checkout.session.completed`, `checkout.session.async_payment_succeeded` / `_failed`, `checkout.session.expired` (top-ups, and cards saved in setup mode),',
      '`payment_intent.succeeded` / `payment_failed` (saved-card top-ups and auto-recharges Stripe left undecided), `charge.refunded`, `charge.refund.updated`, `refund.created` / `updated` / `failed` (refunds of any deposit: a refund is taken once Stripe says it succeeded, never more in all than the deposit credited, and given back as its own positive `refund` entry if it fails afterwards) and `charge.dispute.created` / `funds_withdrawn` / `funds_reinstated` / `closed` (disputes: the dispute is read back from Stripe; withdrawn funds become a `dispute` entry, reinstated funds one giving back what was taken). Other types are acknowledged with `ignored: true`.',
      '**Idempotency:** each event id is applied once, in any order, and a deposit is credited once whether the webhook or `GET /v1/billing/success` sees it first;',
      'a redelivered event answers `duplicate: true`. A processing failure answers 500 so that Stripe retries.',
    ].join(' '),
    request: {
      headers: z.object({
        'stripe-signature': z.string().openapi({ description: 'Set by Stripe: `t=<unix>,v1=<hex HMAC-SHA256>`.', example: 't=1795255337,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' }),
      }),
      body: {
        required: true,
        description: 'A Stripe Event object, exactly as Stripe sent it (the signature covers the raw bytes).',
        content: {
          'application/json': {
            schema: z.object({ id: z.string(), type: z.string(), data: z.object({ object: z.record(z.string(), z.unknown()).openapi({ additionalProperties: true }) }) }).openapi('StripeEvent'),
            example: {
              id: 'evt_1QdZ2pKx7yTmN3s0AbCdEfGh',
              type: 'checkout.session.completed',
              data: { object: { id: EX.checkoutSessionId, object: 'checkout.session', payment_status: 'paid', amount_total: 2500, metadata: { workspaceId: EX.workspaceId } } },
            },
          },
        },
      },
    },
    responses: {
      200: jsonResponse('Processed, a duplicate, or ignored.', WebhookAnswer, { received: true }),
      ...errorResponses(
        ['invalid_request', 'Stripe-Signature: does not verify for this body (or is older than 300 s).'],
        ['internal_error', 'Something went wrong on our side; nothing was acknowledged.'],
        ['stripe_unavailable', 'STRIPE_WEBHOOK_SECRET is not configured (unset, or a published default while STRIPE_SECRET_KEY is set).'],
      ),
    },
  });
}
