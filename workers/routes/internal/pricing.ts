import { createRoute, z } from '@hono/zod-openapi';
import { drizzle } from 'drizzle-orm/d1';
import { priceLists } from '../../../schema/tables';
import { canonicalJson } from '../../lib/crypto';
import { iso } from '../../lib/time';
import { errorResponses, jsonBody, jsonResponse } from '../../openapi/schemas';
import { forgetPriceBook } from '../../usage/price_cache';
import { loadPriceBook, PricingSchema, type PriceVersion } from '../../usage/pricing';
import type { Router } from '../router';

const PriceListSchema = PricingSchema.and(
  z.object({ version: z.int(), effectiveAt: z.string().openapi({ description: 'Usage from this instant on is priced with this list.' }) }),
).openapi('PriceList');

const view = (v: PriceVersion) => ({ version: v.version, effectiveAt: iso(v.effectiveFromMs), ...v.pricing });

export const getPricingRoute = createRoute({
  method: 'get',
  path: '/internal/v1/pricing',
  tags: ['internal'],
  summary: 'The price list in force',
  security: [{ internalToken: [] }],
  responses: { 200: jsonResponse('The price list in force now.', PriceListSchema), ...errorResponses(401) },
});

export const putPricingRoute = createRoute({
  method: 'put',
  path: '/internal/v1/pricing',
  tags: ['internal'],
  summary: 'Replace the price list for usage from now on',
  description: 'Creates a new version in force from now; usage that occurred earlier keeps its prices. Sending the list in force again changes nothing.',
  security: [{ internalToken: [] }],
  request: { body: jsonBody(PricingSchema) },
  responses: { 200: jsonResponse('The price list now in force.', PriceListSchema), ...errorResponses(400, 401) },
});

export const registerPricingRoutes = (app: Router) =>
  app
    .openapi(getPricingRoute, async (c) => c.json(view((await loadPriceBook(c.env.DB)).at(Date.now())), 200))
    .openapi(putPricingRoute, async (c) => {
      const pricing = c.req.valid('json');
      const nowMs = Date.now();
      const current = (await loadPriceBook(c.env.DB)).at(nowMs);
      // Idempotent: the list already in force is not versioned again.
      if (canonicalJson(current.pricing) === canonicalJson(pricing)) return c.json(view(current), 200);
      const [row] = await drizzle(c.env.DB)
        .insert(priceLists)
        .values({ effectiveFromMs: nowMs, pricingJson: JSON.stringify(pricing), createdAtMs: nowMs })
        .returning();
      forgetPriceBook();
      return c.json(view((await loadPriceBook(c.env.DB)).byVersion(row!.version)), 200);
    });
