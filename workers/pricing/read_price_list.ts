import type { Env } from '../env';
import { loadPriceBook } from '../usage/pricing';
import { priceListView } from './price_list_view';

/** The price list in force now. */
export async function readPriceList(env: Env) {
  return priceListView((await loadPriceBook(env.DB)).at(Date.now()));
}
