// The regions burnrate places objects in: exactly the Durable Objects location hints, so that a
// region name is also where its objects are created (`namespace.get(id, { locationHint })`).
export const REGIONS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'] as const;
export type Region = (typeof REGIONS)[number];

/** Where a caller is when nothing says otherwise (locally: no X-Burnrate-Region header). */
export const DEFAULT_REGION: Region = 'enam';

export const isRegion = (value: unknown): value is Region => typeof value === 'string' && (REGIONS as readonly string[]).includes(value);

/** Countries Cloudflare reports on continent `AS` that Durable Objects serve from `me` (Middle East). */
const MIDDLE_EAST = new Set(['AE', 'BH', 'CY', 'IL', 'IQ', 'IR', 'JO', 'KW', 'LB', 'OM', 'PS', 'QA', 'SA', 'SY', 'TR', 'YE']);
/** European countries east of roughly 20°E, where `eeur` is nearer than `weur`. */
const EAST_EUROPE = new Set(['BG', 'BY', 'EE', 'FI', 'GR', 'HU', 'LT', 'LV', 'MD', 'PL', 'RO', 'RS', 'RU', 'SK', 'UA', 'CZ', 'HR', 'BA', 'ME', 'MK', 'AL', 'XK', 'SI']);
/** Colos of western North America (Cloudflare's three-letter codes), when the longitude is missing. */
const WEST_NA_COLOS = new Set(['SEA', 'PDX', 'SFO', 'SJC', 'LAX', 'SAN', 'LAS', 'PHX', 'DEN', 'SLC', 'YVR', 'YYC', 'YEG', 'ABQ', 'BOI', 'ANC', 'HNL', 'SMF', 'FAT', 'OAK', 'BUR']);

/** What of `request.cf` the mapping reads (all optional: a request may lack any of them). */
export interface CfPlace {
  continent?: string;
  country?: string;
  colo?: string;
  longitude?: string;
}

/**
 * The region nearest a deployed request, from where Cloudflare ran it: the continent first, then
 * the country (Middle East, eastern Europe) or the longitude / colo (west or east North America).
 * Anything unknown (Antarctica, Tor, a missing `cf`) is the default region.
 */
export function regionFromCf(cf: CfPlace | undefined): Region {
  if (!cf?.continent) return DEFAULT_REGION;
  const country = cf.country?.toUpperCase() ?? '';
  switch (cf.continent.toUpperCase()) {
    case 'NA': {
      const longitude = cf.longitude === undefined ? Number.NaN : Number(cf.longitude);
      if (Number.isFinite(longitude)) return longitude < -100 ? 'wnam' : 'enam';
      return cf.colo && WEST_NA_COLOS.has(cf.colo.toUpperCase()) ? 'wnam' : 'enam';
    }
    case 'SA':
      return 'sam';
    case 'EU':
      return EAST_EUROPE.has(country) ? 'eeur' : 'weur';
    case 'AS':
      return MIDDLE_EAST.has(country) ? 'me' : 'apac';
    case 'OC':
      return 'oc';
    case 'AF':
      return country === 'EG' ? 'me' : 'afr';
    default:
      return DEFAULT_REGION;
  }
}
