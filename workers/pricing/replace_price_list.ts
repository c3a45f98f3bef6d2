import { drizzle } from 'drizzle-orm/d1';
import { priceLists } from '../../schema/tables';
import type { Env } from '../env';
import { canonicalJson } from '../lib/crypto';
import { forgetPriceBook } from '../usage/price_cache';
import { loadPriceBook, type Pricing } from '../usage/pricing';
import { priceListView } from './price_list_view';

/** Puts a new price list in force from now; the list already in force is answered as it is, not versioned again. */
export async function replacePriceList(env: Env, pricing: Pricing) {
  const nowMs = Date.now();
  const current = (await loadPriceBook(env.DB)).at(nowMs);
  // Idempotent: the list already in force is not versioned again.
  if (canonicalJson(current.pricing) === canonicalJson(pricing)) return priceListView(current);
  const [row] = await drizzle(env.DB)
    .insert(priceLists)
    .values({ effectiveFromMs: nowMs, pricingJson: JSON.stringify(pricing), createdAtMs: nowMs })
    .returning();
  forgetPriceBook();
  return priceListView((await loadPriceBook(env.DB)).byVersion(row!.version));
}
