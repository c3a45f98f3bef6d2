import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { DEFAULT_REGION, isRegion, REGIONS, regionFromCf, type CfPlace, type Region } from './regions';

/** The header that names the caller's region where regions are simulated (locally, in tests, in the bench). */
export const REGION_HEADER = 'X-Burnrate-Region';
/** Every answer decided by a region (credit checks, holds, deductions) names it in this header. */
export const DECIDED_IN_HEADER = 'X-Burnrate-Decided-In';

/**
 * True where one process stands for every region: `SIMULATED_REGIONS=enabled` is set by
 * `npm start` (scripts/start.mjs), the bench's server and vitest.config.ts, never by wrangler.toml,
 * so a deployment (which has no such variable) always takes the region from where Cloudflare ran
 * the request, and no caller can claim another region with a header.
 */
export const regionsSimulated = (env: Env): boolean => env.SIMULATED_REGIONS === 'enabled';

/** The caller's region: deployed, from `request.cf`; simulated, from X-Burnrate-Region (default enam). */
export function callerRegion(env: Env, request: Request): Region {
  if (!regionsSimulated(env)) return regionFromCf((request as Request & { cf?: CfPlace }).cf);
  const named = request.headers.get(REGION_HEADER);
  if (named === null || named === '') return DEFAULT_REGION;
  const region = named.trim().toLowerCase();
  if (!isRegion(region)) throw new ApiError('invalid_request', `${REGION_HEADER}: must be one of ${REGIONS.join(', ')}.`);
  return region;
}
