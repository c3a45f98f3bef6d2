import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { directoryD1 } from '../storage/databases';
import { DEFAULT_REGION, isRegion, type Region } from './regions';

// A workspace's home region never changes: once read from the directory the isolate remembers it,
// so the hot path asks D1 once per workspace per isolate.
const homes = new Map<string, Region>();
const MAX_REMEMBERED = 100_000;

/** The workspace's home region (404 when the directory does not know the workspace). */
export async function homeRegionOf(env: Env, workspaceId: string): Promise<Region> {
  const known = homes.get(workspaceId);
  if (known) return known;
  const row = await directoryD1(env).prepare('SELECT home_region AS homeRegion FROM workspaces WHERE id = ?1').bind(workspaceId).first<{ homeRegion: string }>();
  if (!row) throw new ApiError('not_found', 'No such workspace.');
  const region = isRegion(row.homeRegion) ? row.homeRegion : DEFAULT_REGION;
  rememberHomeRegion(workspaceId, region);
  return region;
}

export function rememberHomeRegion(workspaceId: string, region: Region): void {
  if (homes.size >= MAX_REMEMBERED) homes.clear();
  homes.set(workspaceId, region);
}
