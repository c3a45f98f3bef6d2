import type { Env } from '../env';

// One Durable Object per workspace, addressed by the workspace id.
export function ledgerFor(env: Env, workspaceId: string) {
  return env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));
}
