import { priceLists } from '../../schema/tables';
import type { Env } from '../env';
import { canonicalJson } from '../lib/crypto';
import { forgetPriceBook } from '../usage/price_cache';
import { loadPriceBook, type Pricing } from '../usage/pricing';
import { priceListView } from './price_list_view';
import { directoryD1, directoryDb } from '../storage/databases';

/** Puts a new price list in force from now; the list already in force is answered as it is, not versioned again. */
export async function replacePriceList(env: Env, pricing: Pricing) {
  const nowMs = Date.now();
  const current = (await loadPriceBook(directoryD1(env))).at(nowMs);
  // Idempotent: the list already in force is not versioned again.
  if (canonicalJson(current.pricing) === canonicalJson(pricing)) return priceListView(current);
  const [row] = await directoryDb(env)
    .insert(priceLists)
    .values({ effectiveFromMs: nowMs, pricingJson: JSON.stringify(pricing), createdAtMs: nowMs })
    .returning();
  forgetPriceBook();
  return priceListView((await loadPriceBook(directoryD1(env))).byVersion(row!.version));
}
