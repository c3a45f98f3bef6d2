import { apiKeys, balances, ledgerWorkspaces, members, workspaces } from '../../schema/tables';
import { mintApiKey } from '../auth/api_keys';
import type { Env } from '../env';
import { idempotentCreate } from '../lib/idempotent_create';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { directoryDb, placeNewWorkspace, shardHandle } from '../storage/databases';
import { placeHomeLedger } from '../regions/home_ledger';
import { DEFAULT_REGION, type Region } from '../regions/regions';

export interface CreateWorkspaceRequest {
  name: string;
  admin: { name: string; email: string };
  /** Named by the caller (part of the request's identity); absent: `homeRegion` below. */
  homeRegion?: Region;
}

/**
 * Creates a workspace (balance 0) with its first admin and that admin's API key, idempotent by `key`:
 * a replay answers the original body (with the same key), another request under the key is 409.
 *
 * The workspace is placed on a ledger shard (a hash of its id) and its ledger rows are written
 * there first; the directory batch that follows (workspace with its shard, member, key, replay
 * record) is what makes it exist. Two databases cannot commit together: if the directory batch
 * fails, the shard keeps a zero balance nobody can reach, which no ledger invariant minds.
 */
export async function createWorkspace(env: Env, key: string | undefined, request: CreateWorkspaceRequest, callerRegion: Region = DEFAULT_REGION) {
  // The caller's region is the default, not part of the request: a replay from elsewhere answers the original.
  const homeRegion = request.homeRegion ?? callerRegion;
  const result = await idempotentCreate(env, 'workspaces', key, request, async () => {
    const nowMs = Date.now();
    const workspaceId = newId('ws', nowMs);
    const memberId = newId('mem', nowMs);
    const minted = await mintApiKey();
    const shard = placeNewWorkspace(env, workspaceId);
    const ledger = shardHandle(env, shard).db;
    await ledger.batch([
      ledger.insert(ledgerWorkspaces).values({ workspaceId, createdAtMs: nowMs }).onConflictDoNothing(),
      ledger.insert(balances).values({ workspaceId, balanceMicros: 0, updatedAtMs: nowMs }).onConflictDoNothing(),
    ]);
    const db = directoryDb(env);
    return {
      status: 201,
      body: {
        workspace: { id: workspaceId, name: request.name, createdAt: iso(nowMs), homeRegion },
        member: { id: memberId, workspaceId, name: request.admin.name, email: request.admin.email, role: 'admin' as const, createdAt: iso(nowMs) },
        apiKey: minted.plaintext,
      },
      statements: [
        db.insert(workspaces).values({ id: workspaceId, name: request.name, createdAtMs: nowMs, shard, homeRegion }),
        db.insert(members).values({ id: memberId, workspaceId, name: request.admin.name, email: request.admin.email, role: 'admin', createdAtMs: nowMs }),
        db.insert(apiKeys).values({ id: newId('key', nowMs), workspaceId, memberId, keyHash: minted.keyHash, prefix: minted.prefix, createdAtMs: nowMs }),
      ],
    };
  });
  // The ledger object is created in its home region: a location hint counts only on the object's
  // first get, so it is placed now, before any other call could create it elsewhere.
  if (!result.replayed) await placeHomeLedger(env, result.body.workspace.id, result.body.workspace.homeRegion);
  // The answer, and whether it is the replay of an earlier create (the route marks it).
  return { value: result.body, replayed: result.replayed };
}
