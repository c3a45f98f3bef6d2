import { eq } from 'drizzle-orm';
import { ledgerWorkspaces } from '../../schema/tables';
import type { Env } from '../env';
import { ledgerDbOf } from '../storage/databases';

/** When a zero balance last terminated instances, and whether storage is suspended now (the dashboard's banner). */
export async function readZeroBalanceState(env: Env, workspaceId: string) {
  return (await ledgerDbOf(env, workspaceId))
    .select({ terminatedAtMs: ledgerWorkspaces.terminatedAtMs, storageSuspendedAtMs: ledgerWorkspaces.storageSuspendedAtMs })
    .from(ledgerWorkspaces)
    .where(eq(ledgerWorkspaces.workspaceId, workspaceId))
    .get();
}
