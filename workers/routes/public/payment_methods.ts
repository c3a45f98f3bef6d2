import { createRoute, z } from '@hono/zod-openapi';
import { requireAdmin, requireApiKey } from '../../auth/require_api_key';
import { listPaymentMethods, removePaymentMethod, setDefaultPaymentMethod, startCardSetup } from '../../billing/payment_methods';
import { EX } from '../../openapi/examples';
import { errorResponses, jsonResponse } from '../../openapi/schemas';
import type { Router } from '../router';

const PaymentMethodSchema = z
  .object({
    id: z.string().openapi({ description: "Stripe's PaymentMethod id (pm_…)." }),
    brand: z.string().openapi({ example: 'visa' }),
    last4: z.string().openapi({ example: '4242' }),
    expMonth: z.int().openapi({ example: 12 }),
    expYear: z.int().openapi({ example: 2029 }),
    default: z.boolean().openapi({ description: 'The card charged by saved-card top-ups and auto-recharge.' }),
  })
  .openapi('PaymentMethod');
const PaymentMethodList = z.object({ data: z.array(PaymentMethodSchema) }).openapi('PaymentMethodList');
const listExample = {
  data: [
    { id: 'pm_1Q2w3E4r5T6y7U8i9O0pAsDf', brand: 'mastercard', last4: '4444', expMonth: 3, expYear: 2030, default: true },
    { id: 'pm_1P0o9I8u7Y6t5R4e3W2qZxCv', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2029, default: false },
  ],
};
const CardSetupCreated = z
  .object({
    checkoutUrl: z.string().openapi({ description: 'Send the admin here (Stripe-hosted Checkout in setup mode; nothing is charged).' }),
    sessionId: z.string().openapi({ description: 'The Checkout Session id (cs_…).' }),
  })
  .openapi('CardSetupCreated');
const setupExample = { checkoutUrl: `https://checkout.stripe.com/c/pay/${EX.checkoutSessionId}`, sessionId: EX.checkoutSessionId };
const PaymentMethodParams = z.object({
  id: z
    .string()
    .regex(/^pm_[A-Za-z0-9_]{1,100}$/, 'must be a payment method id (pm_…)')
    .openapi({ param: { name: 'id', in: 'path' }, description: 'A payment method id from the list.', example: 'pm_1P0o9I8u7Y6t5R4e3W2qZxCv' }),
});
const notFoundCard = ['not_found', 'No such payment method in this workspace.'] as const;

export const listPaymentMethodsRoute = createRoute({
  method: 'get',
  path: '/v1/billing/payment-methods',
  operationId: 'listPaymentMethods',
  tags: ['Billing'],
  summary: 'Saved cards',
  description: "The workspace's saved cards, newest first, read from Stripe; `default` marks the one charged by saved-card top-ups and auto-recharge. Empty before the first card is saved. Any member may read it.",
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  responses: {
    200: jsonResponse('The cards.', PaymentMethodList, listExample),
    ...errorResponses('unauthenticated', 'stripe_unavailable', 'rate_limited'),
  },
});

export const addPaymentMethodRoute = createRoute({
  method: 'post',
  path: '/v1/billing/payment-methods',
  operationId: 'addPaymentMethod',
  tags: ['Billing'],
  summary: 'Add a card through Stripe Checkout in setup mode (admin)',
  description:
    'Creates a Checkout Session in setup mode: the admin enters a card at `checkoutUrl`, nothing is charged, and the card becomes the default as soon as Stripe reports the session complete (webhook `checkout.session.completed`, or the return to the dashboard). Every call is a new session.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  responses: {
    201: jsonResponse('Enter the card at checkoutUrl.', CardSetupCreated, setupExample),
    ...errorResponses('unauthenticated', 'forbidden', 'stripe_unavailable', 'rate_limited'),
  },
});

export const setDefaultPaymentMethodRoute = createRoute({
  method: 'post',
  path: '/v1/billing/payment-methods/{id}/default',
  operationId: 'setDefaultPaymentMethod',
  tags: ['Billing'],
  summary: 'Make a card the default (admin)',
  description: 'Saved-card top-ups and auto-recharge charge this card from now on. Idempotent. A card of another workspace is a 404.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: { params: PaymentMethodParams },
  responses: {
    200: jsonResponse('The cards, with the new default.', PaymentMethodList, listExample),
    ...errorResponses(['invalid_request', 'id: must be a payment method id (pm_…)'], 'unauthenticated', 'forbidden', notFoundCard, 'stripe_unavailable', 'rate_limited'),
  },
});

export const removePaymentMethodRoute = createRoute({
  method: 'delete',
  path: '/v1/billing/payment-methods/{id}',
  operationId: 'removePaymentMethod',
  tags: ['Billing'],
  summary: 'Remove a card (admin)',
  description:
    'Detaches the card at Stripe. Removing the default makes the newest remaining card the default. The last card cannot be removed while auto-top-up is on (409 `payment_method_required`: turn auto-top-up off first). A card of another workspace is a 404.',
  security: [{ apiKey: [] }],
  middleware: [requireApiKey, requireAdmin] as const,
  request: { params: PaymentMethodParams },
  responses: {
    204: { description: 'Removed.' },
    ...errorResponses(
      ['invalid_request', 'id: must be a payment method id (pm_…)'],
      'unauthenticated',
      'forbidden',
      notFoundCard,
      ['payment_method_required', 'This is the last saved card and auto-top-up is on: turn auto-top-up off first, or add another card.'],
      'stripe_unavailable',
      'rate_limited',
    ),
  },
});

export const registerPaymentMethodRoutes = (app: Router) =>
  app
    .openapi(listPaymentMethodsRoute, async (c) => c.json(await listPaymentMethods(c.env, c.get('auth').workspaceId), 200))
    .openapi(addPaymentMethodRoute, async (c) => c.json(await startCardSetup(c.env, c.get('auth').workspaceId), 201))
    .openapi(setDefaultPaymentMethodRoute, async (c) => c.json(await setDefaultPaymentMethod(c.env, c.get('auth').workspaceId, c.req.valid('param').id), 200))
    .openapi(removePaymentMethodRoute, async (c) => {
      await removePaymentMethod(c.env, c.get('auth').workspaceId, c.req.valid('param').id);
      return c.body(null, 204);
    });
