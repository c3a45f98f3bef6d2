import type { Env } from '../env';
import { loadPriceBook } from '../usage/pricing';
import { priceListView } from './price_list_view';
import { directoryD1 } from '../storage/databases';

/** The price list in force now. */
export async function readPriceList(env: Env) {
  return priceListView((await loadPriceBook(directoryD1(env))).at(Date.now()));
}
