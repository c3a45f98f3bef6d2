import type { Env } from '../env';
import { ledgerFor } from '../ledger/ledger_stub';
import type { LedgerResult } from '../ledger/ledger_result';
import { callerRegion } from './caller_region';
import { homeRegionOf } from './home_region';
import type { Decided, Where } from './regional_ledger';
import { regionalFor } from './regional_stub';

/**
 * Where the routes of credit checks, holds and deductions send a call: at home (the caller is in
 * the workspace's home region) straight to the home ledger, as before regions; elsewhere to the
 * workspace's object in the caller's region, which answers from its lease or sends the call home.
 */
export async function decideNearCaller<T>(
  env: Env,
  request: Request,
  workspaceId: string,
  atHome: (ledger: ReturnType<typeof ledgerFor>) => Promise<LedgerResult<T>>,
  inRegion: (regional: ReturnType<typeof regionalFor>, where: Where) => Promise<Decided<T>>,
): Promise<Decided<T>> {
  const caller = callerRegion(env, request);
  const homeRegion = await homeRegionOf(env, workspaceId);
  if (caller === homeRegion) return { result: await atHome(ledgerFor(env, workspaceId)), decidedIn: homeRegion };
  return inRegion(regionalFor(env, workspaceId, caller), { workspaceId, region: caller, homeRegion });
}
