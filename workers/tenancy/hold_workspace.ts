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
// the id. Owners never change, so the isolate remembers its region's own claims (bounded, keyed by
// region: in simulation one isolate stands for every region).
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
  const ownerId = await holdRegistryFor(env, holdId, region).claim(holdId, workspaceId, region, withLegacy(region));
  // Remembered only as this region's own claim (another owner may be one another region told of).
  if (ownerId === workspaceId) remember(region, holdId, ownerId);
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

/** Whose hold it is; whether the caller's region claimed it (the hold is then near the caller or at home); where else it was claimed. */
export interface HoldOwner {
  workspaceId: string;
  claimedHere: boolean;
  /** The other regions whose registries claimed the id for the workspace (asked across regions only when this one was told of none). */
  claimedIn: () => Promise<Region[]>;
}

/**
 * The workspace whose objects to ask about a hold, called from `region`. The one the caller names;
 * else the claim of the caller's region's registry (what this region answered when the hold was
 * made); else the one owner the other regions told that registry of; else, when it knows none (a
 * claim not yet told, or made before regions), the one owner the other regions' registries know,
 * asked across regions. 404 when nobody claimed the id; 409 when two workspaces claimed it in two
 * other regions (before either knew of the other): only the caller can tell them apart, by naming
 * the workspace.
 */
export async function holdOwner(env: Env, holdId: string, region: Region, expectedWorkspaceId?: string): Promise<HoldOwner> {
  let known: Promise<Array<{ workspaceId: string; region: Region | null }>> | null = null;
  const knownHere = () => (known ??= holdRegistryFor(env, holdId, region).claimsOf(holdId, withLegacy(region)));
  let asked: Promise<HoldClaim[]> | null = null;
  const askedElsewhere = () => (asked ??= claimsElsewhere(env, holdId, region));
  const owner = (workspaceId: string, claimedHere: boolean): HoldOwner => ({
    workspaceId,
    claimedHere,
    claimedIn: async () => {
      const told = (await knownHere()).flatMap((c) => (c.workspaceId === workspaceId && c.region ? [c.region] : []));
      if (told.length > 0) return told;
      return (await askedElsewhere()).filter((c) => c.workspaceId === workspaceId).map((c) => c.region);
    },
  });
  const cached = owners.get(cacheKey(region, holdId));
  if (cached && (expectedWorkspaceId === undefined || cached === expectedWorkspaceId)) return owner(cached, true);
  const claims = await knownHere();
  const own = claims.find((c) => c.region === null);
  if (own) remember(region, holdId, own.workspaceId);
  // Named by the caller: that workspace's objects answer, and say 404 for a hold that is not its own.
  if (expectedWorkspaceId !== undefined) return owner(expectedWorkspaceId, own?.workspaceId === expectedWorkspaceId);
  if (own) return owner(own.workspaceId, true);
  const found = new Set((claims.length > 0 ? claims : await askedElsewhere()).map((c) => c.workspaceId));
  if (found.size === 0) throw new ApiError('not_found', 'No such hold.');
  if (found.size > 1) throw new ApiError('idempotency_conflict', `The hold id "${holdId}" was claimed by more than one workspace in different regions; send workspaceId to name yours.`);
  return owner([...found][0]!, false);
}
