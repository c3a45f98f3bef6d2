import type { Env } from '../env';
import { rememberHomeRegion } from './home_region';
import type { Region } from './regions';

/**
 * Creates the workspace's ledger object in its home region. `locationHint` is honoured only when
 * an object is first created (after that the object stays where it is, whatever later gets say),
 * so the object is created here, at the workspace's creation, before anything else can reach it
 * with a plain `get` (workers/ledger/ledger_stub.ts) and create it near that caller instead.
 */
export async function placeHomeLedger(env: Env, workspaceId: string, homeRegion: Region): Promise<void> {
  rememberHomeRegion(workspaceId, homeRegion);
  const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId), { locationHint: homeRegion });
  await stub.placed();
}
