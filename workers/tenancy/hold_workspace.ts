import { eq } from 'drizzle-orm';
import { holdOwners } from '../../schema/tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { directoryD1, directoryDb } from '../storage/databases';

// Hold ids are the caller's, unique across workspaces; the holds live in their workspace's ledger
// object. A capture or release names only the hold: the directory says whose it is. Owners never
// change, so the isolate remembers them (bounded), and a capture right after its hold reads nothing.
const owners = new Map<string, string>();
const MAX_REMEMBERED = 50_000;

function remember(holdId: string, workspaceId: string) {
  if (owners.size >= MAX_REMEMBERED) owners.clear();
  owners.set(holdId, workspaceId);
}

/**
 * Claims a hold id for the workspace (one D1 statement, answering the owner).
 * False when another workspace holds the id already.
 */
export async function claimHoldId(env: Env, holdId: string, workspaceId: string): Promise<boolean> {
  const known = owners.get(holdId);
  if (known) return known === workspaceId;
  // One statement: a new claim, or (on conflict) the row as it stands, returned either way.
  const owner = await directoryD1(env)
    .prepare('INSERT INTO hold_owners (hold_id, workspace_id, claimed_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (hold_id) DO UPDATE SET hold_id = excluded.hold_id RETURNING workspace_id AS workspaceId')
    .bind(holdId, workspaceId, Date.now())
    .first<{ workspaceId: string }>();
  const ownerId = owner?.workspaceId;
  if (ownerId) remember(holdId, ownerId);
  return ownerId === workspaceId;
}

/** Gives up a claim whose hold was never made (the workspace does not exist). */
export async function unclaimHoldId(env: Env, holdId: string, workspaceId: string): Promise<void> {
  owners.delete(holdId);
  await directoryD1(env).prepare('DELETE FROM hold_owners WHERE hold_id = ?1 AND workspace_id = ?2').bind(holdId, workspaceId).run();
}

/** The workspace whose object to ask about a hold: the one the caller names, else the directory's (404 when none). */
export async function holdWorkspaceId(env: Env, holdId: string, expectedWorkspaceId?: string): Promise<string> {
  // Named by the caller: that workspace's object answers, and says 404 for a hold that is not its own.
  if (expectedWorkspaceId !== undefined) return expectedWorkspaceId;
  let workspaceId = owners.get(holdId);
  if (!workspaceId) {
    const row = await directoryDb(env).select({ workspaceId: holdOwners.workspaceId }).from(holdOwners).where(eq(holdOwners.holdId, holdId)).get();
    if (row) remember(holdId, (workspaceId = row.workspaceId));
  }
  if (!workspaceId) throw new ApiError('not_found', 'No such hold.');
  return workspaceId;
}
