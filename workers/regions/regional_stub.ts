import type { Env } from '../env';
import type { Region } from './regions';

/** The regional object of a workspace in a region, created there (the hint counts on its first get). */
export function regionalFor(env: Env, workspaceId: string, region: Region) {
  return env.REGIONAL_LEDGER.get(env.REGIONAL_LEDGER.idFromName(`${workspaceId}@${region}`), { locationHint: region });
}
