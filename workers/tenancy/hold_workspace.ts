import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { holdRegistryFor } from './hold_id_registry';

// Hold ids are the caller's, unique across workspaces; the holds live in their workspace's ledger
// object. A capture or release names only the hold: the registry (hold_id_registry.ts) says whose
// it is. Owners never change, so the isolate remembers them (bounded), and a capture right after
// its hold asks nothing.
const owners = new Map<string, string>();
const MAX_REMEMBERED = 50_000;

function remember(holdId: string, workspaceId: string) {
  if (owners.size >= MAX_REMEMBERED) owners.clear();
  owners.set(holdId, workspaceId);
}

/** Claims a hold id for the workspace. False when another workspace holds the id already. */
export async function claimHoldId(env: Env, holdId: string, workspaceId: string): Promise<boolean> {
  const known = owners.get(holdId);
  if (known) return known === workspaceId;
  const ownerId = await holdRegistryFor(env, holdId).claim(holdId, workspaceId);
  remember(holdId, ownerId);
  return ownerId === workspaceId;
}

/** Gives up a claim whose hold was never made (the workspace does not exist). */
export async function unclaimHoldId(env: Env, holdId: string, workspaceId: string): Promise<void> {
  owners.delete(holdId);
  await holdRegistryFor(env, holdId).unclaim(holdId, workspaceId);
}

/** The workspace whose object to ask about a hold: the one the caller names, else the registry's (404 when none). */
export async function holdWorkspaceId(env: Env, holdId: string, expectedWorkspaceId?: string): Promise<string> {
  // Named by the caller: that workspace's object answers, and says 404 for a hold that is not its own.
  if (expectedWorkspaceId !== undefined) return expectedWorkspaceId;
  let workspaceId = owners.get(holdId);
  if (!workspaceId) {
    const owner = await holdRegistryFor(env, holdId).ownerOf(holdId);
    if (owner) remember(holdId, (workspaceId = owner));
  }
  if (!workspaceId) throw new ApiError('not_found', 'No such hold.');
  return workspaceId;
}
