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
 * object of the region that claimed its id (a far hold, or one that object sent home), or at home.
 * Claimed in the caller's region: decided near the caller as every other call (its regional
 * object, which sends home what it does not hold, or home itself). Claimed elsewhere: decided by
 * that region's object, across regions (the slow path of a hold captured away from where it was
 * made), or at home when home claimed it. Claimed nowhere the registries know: near the caller.
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
  const near = () => decideNearCaller(env, request, workspaceId, (ledger) => atHome(ledger, workspaceId), inRegion);
  if (owner.claimedHere) return near();
  const homeRegion = await homeRegionOf(env, workspaceId);
  let decided: Decided<T> | null = null;
  for (const region of await owner.claimedIn()) {
    decided =
      region === homeRegion || region === caller
        ? await near()
        : await crossRegion(env, caller, region, () => inRegion(regionalFor(env, workspaceId, region), { workspaceId, region, homeRegion }));
    if (decided.result.ok || decided.result.code !== 'not_found') return decided;
  }
  return decided ?? near();
}
