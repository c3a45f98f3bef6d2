import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { directoryD1, rememberShard } from '../storage/databases';

// Workspaces and members are never deleted, so once seen they can be remembered by the isolate:
// the hot ingestion path then checks tenancy without a D1 round trip. A workspace's ledger shard is
// read with it and remembered beside (storage/databases.ts): it never changes either.
/** workspace id → when it was created */
const knownWorkspaces = new Map<string, number>();
const memberWorkspace = new Map<string, string>();

/**
 * Checks that every workspace exists and every member belongs to the workspace named with it;
 * answers when each workspace was created.
 */
export async function assertTenants(
  env: Env,
  pairs: ReadonlyArray<{ workspaceId: string; memberId?: string | null; path: string }>,
  /** What a member of another workspace (or none) is: 404 for usage; 400 naming the field for holds, deductions and limits. */
  memberMismatch: 'not_found' | 'invalid_request' = 'not_found',
): Promise<ReadonlyMap<string, number>> {
  const wsMissing = [...new Set(pairs.map((p) => p.workspaceId))].filter((w) => !knownWorkspaces.has(w));
  const memMissing = [...new Set(pairs.flatMap((p) => (p.memberId ? [p.memberId] : [])))].filter((m) => !memberWorkspace.has(m));
  if (wsMissing.length || memMissing.length) {
    const directory = directoryD1(env);
    const [ws, mem] = await directory.batch([
      directory.prepare('SELECT id, created_at_ms, shard FROM workspaces WHERE id IN (SELECT value FROM json_each(?))').bind(JSON.stringify(wsMissing)),
      directory.prepare('SELECT id, workspace_id FROM members WHERE id IN (SELECT value FROM json_each(?))').bind(JSON.stringify(memMissing)),
    ]);
    for (const r of (ws?.results ?? []) as Array<{ id: string; created_at_ms: number; shard: string }>) {
      knownWorkspaces.set(r.id, r.created_at_ms);
      rememberShard(r.id, r.shard);
    }
    for (const r of (mem?.results ?? []) as Array<{ id: string; workspace_id: string }>) memberWorkspace.set(r.id, r.workspace_id);
  }
  for (const p of pairs) {
    const at = p.path ? `${p.path}.` : '';
    if (!knownWorkspaces.has(p.workspaceId)) throw new ApiError('not_found', `${at}workspaceId: no such workspace.`);
    if (p.memberId && memberWorkspace.get(p.memberId) !== p.workspaceId) {
      throw new ApiError(memberMismatch, `${at}memberId: no such member in this workspace.`);
    }
  }
  return knownWorkspaces;
}
