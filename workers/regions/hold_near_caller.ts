import type { Env } from '../env';
import type { ledgerFor } from '../ledger/ledger_stub';
import type { LedgerResult } from '../ledger/ledger_result';
import { holdOwner } from '../tenancy/hold_workspace';
import { callerRegion } from './caller_region';
import { crossRegion } from './cross_region';
import { homeRegionOf } from './home_region';
import { decideNearCaller } from './near_caller';
import type { Decided, Where } from './regional_ledger';
import { regionalFor } from './regional_stub';

/**
 * A capture or release, from the caller's region. The hold is where it was made: in the regional
 * object of the region that claimed its id (a far hold), or at home. Asked first near the caller
 * (its regional object, which sends home what it does not hold, or home itself); a hold not found
 * there but claimed for the workspace in another region is decided by that region's object, across
 * regions: the slow path of a hold captured elsewhere than where it was made.
 */
export async function decideHold<T>(
  env: Env,
  request: Request,
  holdId: string,
  expectedWorkspaceId: string | undefined,
  atHome: (ledger: ReturnType<typeof ledgerFor>, workspaceId: string) => Promise<LedgerResult<T>>,
  inRegion: (regional: ReturnType<typeof regionalFor>, where: Where) => Promise<Decided<T>>,
): Promise<Decided<T>> {
  const caller = callerRegion(env, request);
  const owner = await holdOwner(env, holdId, caller, expectedWorkspaceId);
  const { workspaceId } = owner;
  const near = await decideNearCaller(env, request, workspaceId, (ledger) => atHome(ledger, workspaceId), inRegion);
  if (near.result.ok || near.result.code !== 'not_found') return near;
  const homeRegion = await homeRegionOf(env, workspaceId);
  // Home and the caller's region were asked already; a far region's object holds only its own claims.
  const claimedIn = (await owner.claimsElsewhere()).filter((c) => c.workspaceId === workspaceId && c.region !== homeRegion && c.region !== caller);
  for (const { region } of claimedIn) {
    const there = await crossRegion(env, caller, region, () => inRegion(regionalFor(env, workspaceId, region), { workspaceId, region, homeRegion }));
    if (there.result.ok || there.result.code !== 'not_found') return there;
  }
  return near;
}
