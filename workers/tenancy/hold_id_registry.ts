import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { crossRegion } from '../regions/cross_region';
import { REGIONS, type Region } from '../regions/regions';
import { directoryD1 } from '../storage/databases';

// Which workspace owns a hold id. A capture or release names only the hold, so the owner must be
// found from the id. The owners live in small Durable Objects, one per (region, hash of the id):
// a hold is claimed in the registry of the caller's region, beside the regional ledger object
// that decides it, so a far hold waits on no other region (docs/regions.md). Claiming is a write
// to the object's own SQLite (durable before the answer); owners never change once claimed.
// Within a second each registry tells the same shard of every other region of its new claims, so
// that the id is refused to another workspace there too, and a capture there knows where to ask.
//
// Before regions there was one registry, `hold-ids-<shard>` objects, with no region in the name:
// those objects are enam's registry now (the default region, where every workspace made before
// regions has its home), so every claim they hold is still found. Before that registry, claims
// went to the directory's `hold_owners` table (directory migration 0004): enam's registry still
// honours those rows (while the table holds any), so an old claim is never taken by another
// workspace there; a fresh deployment's table stays empty and costs one read per enam object.

/** How many registry objects of a region share the ids. Never change it: an id's object is found by it. */
export const HOLD_REGISTRY_SHARDS = 32;
/** The region whose registry is the one made before regions (and reads the directory's old claims). */
export const LEGACY_REGISTRY_REGION: Region = 'enam';

/** A claim another region's registry made, as it told this one. */
export interface RemoteClaim {
  holdId: string;
  workspaceId: string;
  region: Region;
}

/**
 * Claims are told to the other regions this long after the first of them, batched: one call per
 * region carries every claim of that second (as a region reports its spends to home).
 */
const TELL_DELAY_MS = 1_000;
/** How many claims one alarm tells the other regions about at once. */
const TELL_BATCH = 500;
/** A telling that failed (a region unreachable) is tried again this much later. */
const TELL_RETRY_MS = 5_000;

export class HoldIdRegistry extends DurableObject<Env> {
  private legacyRows: Promise<boolean> | null = null;
  private alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    // This region's claims; the ones not yet told to every other region's registry; and what the
    // other regions' registries told this one (so that an id claimed there is refused here too).
    sql.exec('CREATE TABLE IF NOT EXISTS hold_owners (hold_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, claimed_at_ms INTEGER NOT NULL)');
    sql.exec('CREATE TABLE IF NOT EXISTS untold (hold_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, region TEXT NOT NULL)');
    sql.exec('CREATE TABLE IF NOT EXISTS claimed_elsewhere (hold_id TEXT NOT NULL, region TEXT NOT NULL, workspace_id TEXT NOT NULL, PRIMARY KEY (hold_id, region))');
  }

  /**
   * Claims the id for the workspace in this registry's region unless another workspace has it
   * (here, or in another region as far as that region has told this one); answers the owner.
   * `withLegacy`: this is the legacy (enam) registry, which also honours the directory's old claims.
   */
  async claim(holdId: string, workspaceId: string, region: Region, withLegacy = false): Promise<string> {
    const known = this.owner(holdId);
    if (known) return known;
    const elsewhere = this.elsewhere(holdId).find((c) => c.workspaceId !== workspaceId);
    if (elsewhere) return elsewhere.workspaceId;
    // An await on D1 lets other calls in (the input gate only holds for storage): the insert below
    // is what decides, atomically, whoever got there first.
    const legacy = withLegacy ? await this.legacyOwner(holdId) : null;
    const cursor = this.ctx.storage.sql.exec(
      'INSERT INTO hold_owners (hold_id, workspace_id, claimed_at_ms) VALUES (?, ?, ?) ON CONFLICT (hold_id) DO NOTHING',
      holdId,
      legacy ?? workspaceId,
      Date.now(),
    );
    if (cursor.rowsWritten > 0 && legacy === null) {
      // Told to the other regions within TELL_DELAY_MS after the answer (a background write, no money
      // in it): until they hear of it, another region may give the id to another workspace (docs/regions.md).
      this.ctx.storage.sql.exec('INSERT INTO untold (hold_id, workspace_id, region) VALUES (?, ?, ?) ON CONFLICT (hold_id) DO NOTHING', holdId, workspaceId, region);
      await this.armAt(Date.now() + TELL_DELAY_MS);
    }
    return this.owner(holdId)!;
  }

  /** The owner of the id in this registry's region, or null when nobody claimed it here. */
  async ownerOf(holdId: string, withLegacy = false): Promise<string | null> {
    return this.owner(holdId) ?? (withLegacy ? await this.legacyOwner(holdId) : null);
  }

  /** Every claim of the id this registry knows: its region's own (region null) and those other regions told it of. */
  async claimsOf(holdId: string, withLegacy = false): Promise<Array<{ workspaceId: string; region: Region | null }>> {
    const own = await this.ownerOf(holdId, withLegacy);
    return [...(own ? [{ workspaceId: own, region: null }] : []), ...this.elsewhere(holdId)];
  }

  /** Claims another region's registry made (idempotent: told again after a failure, the same rows). */
  learn(claims: RemoteClaim[]): void {
    for (const c of claims) {
      this.ctx.storage.sql.exec('INSERT INTO claimed_elsewhere (hold_id, region, workspace_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', c.holdId, c.region, c.workspaceId);
    }
  }

  /** Gives up a claim whose hold was never made (the workspace does not exist). */
  unclaim(holdId: string, workspaceId: string): void {
    this.ctx.storage.sql.exec('DELETE FROM hold_owners WHERE hold_id = ? AND workspace_id = ?', holdId, workspaceId);
    this.ctx.storage.sql.exec('DELETE FROM untold WHERE hold_id = ? AND workspace_id = ?', holdId, workspaceId);
  }

  /** Tells every other region's registry (the same shard) the claims made here since the last time. */
  override async alarm(): Promise<void> {
    this.alarmSet = false;
    const rows = this.ctx.storage.sql.exec<{ holdId: string; workspaceId: string; region: Region }>('SELECT hold_id AS holdId, workspace_id AS workspaceId, region FROM untold LIMIT ?', TELL_BATCH).toArray();
    if (rows.length === 0) return;
    const from = rows[0]!.region;
    try {
      await Promise.all(
        REGIONS.filter((r) => r !== from).map((to) => crossRegion(this.env, from, to, () => holdRegistryFor(this.env, rows[0]!.holdId, to).learn(rows))),
      );
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'telling other regions of hold-id claims failed; retrying', region: from, error: String(error) }));
      this.alarmSet = true;
      await this.ctx.storage.setAlarm(Date.now() + TELL_RETRY_MS);
      return;
    }
    for (const r of rows) this.ctx.storage.sql.exec('DELETE FROM untold WHERE hold_id = ?', r.holdId);
    if (rows.length === TELL_BATCH) await this.armAt(Date.now());
  }

  private async armAt(atMs: number): Promise<void> {
    if (this.alarmSet) return;
    this.alarmSet = true;
    await this.ctx.storage.setAlarm(atMs);
  }

  private owner(holdId: string): string | null {
    const rows = this.ctx.storage.sql.exec<{ workspace_id: string }>('SELECT workspace_id FROM hold_owners WHERE hold_id = ?', holdId).toArray();
    return rows[0]?.workspace_id ?? null;
  }

  private elsewhere(holdId: string): Array<{ workspaceId: string; region: Region }> {
    return this.ctx.storage.sql.exec<{ workspaceId: string; region: Region }>('SELECT workspace_id AS workspaceId, region FROM claimed_elsewhere WHERE hold_id = ?', holdId).toArray();
  }

  private async legacyOwner(holdId: string): Promise<string | null> {
    this.legacyRows ??= directoryD1(this.env)
      .prepare('SELECT 1 AS found FROM hold_owners LIMIT 1')
      .first<{ found: number }>()
      .then((row) => row !== null)
      .catch((error) => {
        this.legacyRows = null; // asked again next time
        throw error;
      });
    if (!(await this.legacyRows)) return null;
    const row = await directoryD1(this.env).prepare('SELECT workspace_id AS workspaceId FROM hold_owners WHERE hold_id = ?1').bind(holdId).first<{ workspaceId: string }>();
    return row?.workspaceId ?? null;
  }
}

/** The id's shard: FNV-1a of the id, over HOLD_REGISTRY_SHARDS. */
export function holdRegistryShard(holdId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < holdId.length; i++) {
    hash ^= holdId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % HOLD_REGISTRY_SHARDS;
}

/** The name of a region's registry object for a shard (enam's is the name used before regions). */
export const holdRegistryName = (region: Region, shard: number): string =>
  region === LEGACY_REGISTRY_REGION ? `hold-ids-${shard}` : `hold-ids-${region}-${shard}`;

/** The registry object of `region` that owns the id, created in that region (the hint counts on its first get). */
export function holdRegistryFor(env: Env, holdId: string, region: Region): DurableObjectStub<HoldIdRegistry> {
  const ns = env.HOLD_ID_REGISTRY;
  return ns.get(ns.idFromName(holdRegistryName(region, holdRegistryShard(holdId))), { locationHint: region });
}
