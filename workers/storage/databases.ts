// The one module that hands out D1 handles. The directory (binding DB) holds what is looked up
// across workspaces; each workspace's ledger lives in one ledger shard (LEDGER_SHARD_*), named in
// the directory's workspaces.shard. Everything that reads or writes a ledger table goes through
// ledgerDbOf (one workspace) or allShards (the cron, the outbox sweep, reconciliation).
import { eq } from 'drizzle-orm';
import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import { workspaces } from '../../schema/directory_tables';
import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { parseShardNames, shardFor } from './placement';

/** A ledger shard: its binding name, its raw D1 handle and a drizzle handle on it. */
export interface LedgerShard {
  name: string;
  d1: D1Database;
  db: DrizzleD1Database;
}

/** The directory D1, raw. */
export const directoryD1 = (env: Env): D1Database => env.DB;

/** The directory D1, through drizzle. */
export const directoryDb = (env: Env): DrizzleD1Database => drizzle(env.DB);

/** The ledger shards' binding names, in order (LEDGER_SHARDS). */
export function shardNames(env: Env): string[] {
  const names = parseShardNames(env.LEDGER_SHARDS);
  if (names.length === 0) throw new Error('LEDGER_SHARDS lists no ledger shard (see wrangler.toml)');
  return names;
}

/** The shards a new workspace may be placed on: LEDGER_SHARDS_FOR_NEW_WORKSPACES if set, else all. */
export function shardsForNewWorkspaces(env: Env): string[] {
  const chosen = parseShardNames(env.LEDGER_SHARDS_FOR_NEW_WORKSPACES);
  if (chosen.length === 0) return shardNames(env);
  const known = new Set(shardNames(env));
  const unknown = chosen.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`LEDGER_SHARDS_FOR_NEW_WORKSPACES names shards not in LEDGER_SHARDS: ${unknown.join(', ')}`);
  return chosen;
}

/** Where a workspace created now goes (recorded in the directory by the caller). */
export const placeNewWorkspace = (env: Env, workspaceId: string): string => shardFor(workspaceId, shardsForNewWorkspaces(env));

/** The D1 binding of a shard by name; a name without a binding is a deployment error. */
export function shardD1(env: Env, name: string): D1Database {
  const d1 = (env as unknown as Record<string, unknown>)[name] as D1Database | undefined;
  if (!d1 || typeof (d1 as D1Database).prepare !== 'function') throw new Error(`ledger shard ${name} has no D1 binding (wrangler.toml)`);
  return d1;
}

/** Every ledger shard, for the work that visits all workspaces' ledgers. */
export const allShards = (env: Env): LedgerShard[] => shardNames(env).map((name) => shardHandle(env, name));

export function shardHandle(env: Env, name: string): LedgerShard {
  const d1 = shardD1(env, name);
  return { name, d1, db: drizzle(d1) };
}

// workspace id → its shard's binding name. A workspace never moves, so the isolate may keep it.
const shardOfWorkspace = new Map<string, string>();

/** Remembers a workspace's shard read elsewhere (the tenancy check reads it with the workspace). */
export const rememberShard = (workspaceId: string, shard: string) => void shardOfWorkspace.set(workspaceId, shard);

/** The binding name of the workspace's shard, from the directory (cached); null: no such workspace. */
export async function shardNameOf(env: Env, workspaceId: string): Promise<string | null> {
  const known = shardOfWorkspace.get(workspaceId);
  if (known) return known;
  const row = await directoryDb(env).select({ shard: workspaces.shard }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
  if (!row) return null;
  shardOfWorkspace.set(workspaceId, row.shard);
  return row.shard;
}

/** The workspace's ledger shard; a 404 not_found when the workspace does not exist. */
export async function ledgerShardOf(env: Env, workspaceId: string): Promise<LedgerShard> {
  const name = await shardNameOf(env, workspaceId);
  if (!name) throw new ApiError('not_found', 'No such workspace.');
  return shardHandle(env, name);
}

/** The workspace's ledger shard through drizzle: where its transactions, balance, resources… are. */
export const ledgerDbOf = async (env: Env, workspaceId: string): Promise<DrizzleD1Database> => (await ledgerShardOf(env, workspaceId)).db;
