import { iso } from '../lib/time';
import type { PriceVersion } from '../usage/pricing';

/** A price version as the API shows it (PriceList): its version, when it took effect, and its prices. */
export const priceListView = (v: PriceVersion) => ({ version: v.version, effectiveAt: iso(v.effectiveFromMs), ...v.pricing });
