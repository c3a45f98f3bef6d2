import { createRoute, z } from '@hono/zod-openapi';
import { EX, pricingExample } from '../../openapi/examples';
import { errorResponses, jsonBody, jsonResponse } from '../../openapi/schemas';
import { readPriceList } from '../../pricing/read_price_list';
import { replacePriceList } from '../../pricing/replace_price_list';
import { PricingSchema } from '../../usage/pricing';
import type { Router } from '../router';

const PriceListSchema = PricingSchema.and(
  z.object({ version: z.int(), effectiveAt: z.string().openapi({ description: 'Usage from this instant on is priced with this list.' }) }),
).openapi('PriceList', {
  description:
    'Prices are integer micros: per million tokens (input and output, at most 10^9), per instance-hour (at most 10^10), per GB-month of storage (GB = 10^9 bytes, month = 730 hours; at most 10^8), per tool execution (at most 10^9). The bounds keep every amount an exact integer (docs/amount-limits.md).',
  example: { version: 3, effectiveAt: EX.workspaceCreatedAt, ...pricingExample },
});

export const getPricingRoute = createRoute({
  method: 'get',
  path: '/internal/v1/pricing',
  operationId: 'getPricing',
  tags: ['Pricing'],
  summary: 'The price list in force',
  security: [{ internalToken: [] }],
  responses: {
    200: jsonResponse('The price list in force now.', PriceListSchema, { version: 3, effectiveAt: EX.workspaceCreatedAt, ...pricingExample }),
    ...errorResponses(['unauthenticated', 'Missing or invalid internal token.']),
  },
});

export const putPricingRoute = createRoute({
  method: 'put',
  path: '/internal/v1/pricing',
  operationId: 'replacePricing',
  tags: ['Pricing'],
  summary: 'Replace the price list for usage from now on',
  description:
    'Creates a new version in force from now; usage that occurred earlier keeps its prices. Amounts are integer micros (see PriceList). **Idempotent:** sending the list in force again changes nothing and answers the current version.',
  security: [{ internalToken: [] }],
  request: { body: jsonBody(PricingSchema, pricingExample) },
  responses: {
    200: jsonResponse('The price list now in force.', PriceListSchema, { version: 4, effectiveAt: EX.now, ...pricingExample }),
    ...errorResponses(['invalid_request', 'models: model "claude-sonnet-4" is listed twice'], ['unauthenticated', 'Missing or invalid internal token.']),
  },
});

export const registerPricingRoutes = (app: Router) =>
  app
    .openapi(getPricingRoute, async (c) => c.json(await readPriceList(c.env), 200))
    .openapi(putPricingRoute, async (c) => c.json(await replacePriceList(c.env, c.req.valid('json')), 200));
