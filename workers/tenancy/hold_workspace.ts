import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { crossRegion } from '../regions/cross_region';
import { REGIONS, type Region } from '../regions/regions';
import { holdRegistryFor, LEGACY_REGISTRY_REGION } from './hold_id_registry';

// Hold ids are the caller's; the holds live in their workspace's ledger object (or in its regional
// object where the hold was made far from home). A capture or release names only the hold: the
// registry (hold_id_registry.ts) says whose it is. Each hold is claimed in the registry of the
// caller's region (no other region is waited on); a capture or release looks there first and asks
// the other regions' registries (across regions, the slow path) only when its own does not know
// the id. Owners never change, so the isolate remembers what its region's registry answered
// (bounded, keyed by region: in simulation one isolate stands for every region).
const owners = new Map<string, string>();
const MAX_REMEMBERED = 50_000;
const cacheKey = (region: Region, holdId: string) => `${region}|${holdId}`;

function remember(region: Region, holdId: string, workspaceId: string) {
  if (owners.size >= MAX_REMEMBERED) owners.clear();
  owners.set(cacheKey(region, holdId), workspaceId);
}

const withLegacy = (region: Region) => region === LEGACY_REGISTRY_REGION;

/** Claims a hold id for the workspace in the caller's region. False when another workspace holds the id there already. */
export async function claimHoldId(env: Env, holdId: string, workspaceId: string, region: Region): Promise<boolean> {
  const known = owners.get(cacheKey(region, holdId));
  if (known) return known === workspaceId;
  const ownerId = await holdRegistryFor(env, holdId, region).claim(holdId, workspaceId, withLegacy(region));
  remember(region, holdId, ownerId);
  return ownerId === workspaceId;
}

/** Gives up a claim whose hold was never made (the workspace does not exist). */
export async function unclaimHoldId(env: Env, holdId: string, workspaceId: string, region: Region): Promise<void> {
  owners.delete(cacheKey(region, holdId));
  await holdRegistryFor(env, holdId, region).unclaim(holdId, workspaceId);
}

/** A claim of the id: the workspace, and the region whose registry holds it (where the hold was made). */
export interface HoldClaim {
  workspaceId: string;
  region: Region;
}

/** The claims of the id in every region's registry but `region`'s, each asked from `region` (across regions). */
export async function claimsElsewhere(env: Env, holdId: string, region: Region): Promise<HoldClaim[]> {
  const others = REGIONS.filter((r) => r !== region);
  const answers = await Promise.all(
    others.map(async (r) => {
      const workspaceId = await crossRegion(env, region, r, () => holdRegistryFor(env, holdId, r).ownerOf(holdId, withLegacy(r)));
      return workspaceId ? { workspaceId, region: r } : null;
    }),
  );
  return answers.filter((claim): claim is HoldClaim => claim !== null);
}

/** Whose hold it is, and (asked once, when needed) the claims of the id in the other regions' registries. */
export interface HoldOwner {
  workspaceId: string;
  claimsElsewhere: () => Promise<HoldClaim[]>;
}

/**
 * The workspace whose objects to ask about a hold, called from `region`: the one the caller names;
 * else the owner in the caller's region's registry; else the one owner the other regions' registries
 * know (404 when none; 409 when two workspaces claimed the id in different regions, which only the
 * caller can tell apart by naming the workspace).
 */
export async function holdOwner(env: Env, holdId: string, region: Region, expectedWorkspaceId?: string): Promise<HoldOwner> {
  let elsewhere: Promise<HoldClaim[]> | null = null;
  const claimsElsewhereOnce = () => (elsewhere ??= claimsElsewhere(env, holdId, region));
  const owner = (workspaceId: string): HoldOwner => ({ workspaceId, claimsElsewhere: claimsElsewhereOnce });
  // Named by the caller: that workspace's objects answer, and say 404 for a hold that is not its own.
  if (expectedWorkspaceId !== undefined) return owner(expectedWorkspaceId);
  const known = owners.get(cacheKey(region, holdId));
  if (known) return owner(known);
  const local = await holdRegistryFor(env, holdId, region).ownerOf(holdId, withLegacy(region));
  if (local) {
    remember(region, holdId, local);
    return owner(local);
  }
  const found = new Set((await claimsElsewhereOnce()).map((c) => c.workspaceId));
  if (found.size === 0) throw new ApiError('not_found', 'No such hold.');
  if (found.size > 1) throw new ApiError('idempotency_conflict', `The hold id "${holdId}" was claimed by more than one workspace in different regions; send workspaceId to name yours.`);
  return owner([...found][0]!);
}
