import type { Context } from 'hono';
import type { AppEnv, Env } from '../env';
import { ledgerShardOf } from '../storage/databases';
import { unwrap } from '../ledger/ledger_result';
import type { CreditSummary } from '../ledger/ledger_types';
import { readSession, type ReadSession } from '../storage/read_session';
import { callerRegion } from './caller_region';
import { homeRegionOf } from './home_region';
import type { Where } from './regional_ledger';
import { regionalFor } from './regional_stub';

// Public reads from a region other than the workspace's home (docs/regions.md "Reads near the
// caller"): the ledger shard is read through a D1 session started from the regional object's read
// floor, so a nearby replica serves it and it still shows every write made through this region.
// At home, reads stay as they were (the primary, checked against the ledger object's answered seq).

/** The caller's region and the workspace's home; null when they are the same. */
export async function farFromHome(env: Env, request: Request, workspaceId: string): Promise<Where | null> {
  const region = callerRegion(env, request);
  const homeRegion = await homeRegionOf(env, workspaceId);
  return region === homeRegion ? null : { workspaceId, region, homeRegion };
}

/** A read of the workspace's shard through a replica; `done` keeps the bookmark it reached for the next read. */
export interface FarRead extends ReadSession {
  done: () => Promise<void>;
}

/** The shard session a far read uses (started from the region's read floor), or null at home. */
export async function farRead(env: Env, request: Request, workspaceId: string): Promise<FarRead | null> {
  const where = await farFromHome(env, request, workspaceId);
  if (!where) return null;
  const regional = regionalFor(env, workspaceId, where.region);
  const [floor, shard] = await Promise.all([regional.readFloor(where), ledgerShardOf(env, workspaceId)]);
  // No bookmark (D1 gave none): the primary, which is never behind.
  const session = readSession(shard.d1, floor.bookmark ?? 'first-primary');
  return { ...session, done: async () => void (await regional.readReached(floor.version, session.bookmark())) };
}

/** After the answer is built: the read's bookmark kept for the next (not money: after the response). */
export function keepBookmark(c: Context<AppEnv>, read: FarRead | null): void {
  if (!read) return;
  const kept = read.done().catch((error) => console.error(JSON.stringify({ level: 'warn', msg: 'read bookmark not kept', error: String(error) })));
  try {
    c.executionCtx.waitUntil(kept);
  } catch {
    // No execution context (a direct app.request in a script): the promise runs on its own.
  }
}

/** The credit summary for a far caller (the regional object's copy of home's), or null at home. */
export async function farCreditSummary(env: Env, request: Request, workspaceId: string): Promise<CreditSummary | null> {
  const where = await farFromHome(env, request, workspaceId);
  if (!where) return null;
  return unwrap(await regionalFor(env, workspaceId, where.region).creditSummary(where)).value;
}

/** Before a far summary is read at home: the region's own spends are reported there first. */
export async function reportFarSpends(env: Env, request: Request, workspaceId: string): Promise<void> {
  const where = await farFromHome(env, request, workspaceId);
  if (where) await regionalFor(env, workspaceId, where.region).reportSpends(where);
}

/** A public write (not a GET) answered from a far region: the region's next reads must see it. */
export async function noteFarWrite(env: Env, request: Request, workspaceId: string): Promise<void> {
  const where = await farFromHome(env, request, workspaceId);
  if (where) await regionalFor(env, workspaceId, where.region).wrote();
}
