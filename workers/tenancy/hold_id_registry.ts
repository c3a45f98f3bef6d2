import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import type { Region } from '../regions/regions';
import { directoryD1 } from '../storage/databases';

// Which workspace owns a hold id. A capture or release names only the hold, so the owner must be
// found from the id. The owners live in small Durable Objects, one per (region, hash of the id):
// a hold is claimed in the registry of the caller's region, beside the regional ledger object
// that decides it, so a far hold waits on no other region (docs/regions.md). Claiming is a write
// to the object's own SQLite (durable before the answer); owners never change once claimed.
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

export class HoldIdRegistry extends DurableObject<Env> {
  private legacyRows: Promise<boolean> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS hold_owners (hold_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, claimed_at_ms INTEGER NOT NULL)');
  }

  /**
   * Claims the id for the workspace unless it has an owner here; answers the owner either way.
   * `withLegacy`: this is the legacy (enam) registry, which also honours the directory's old claims.
   */
  async claim(holdId: string, workspaceId: string, withLegacy = false): Promise<string> {
    const known = this.owner(holdId);
    if (known) return known;
    // An await on D1 lets other calls in (the input gate only holds for storage): the insert below
    // is what decides, atomically, whoever got there first.
    const legacy = withLegacy ? await this.legacyOwner(holdId) : null;
    this.ctx.storage.sql.exec(
      'INSERT INTO hold_owners (hold_id, workspace_id, claimed_at_ms) VALUES (?, ?, ?) ON CONFLICT (hold_id) DO NOTHING',
      holdId,
      legacy ?? workspaceId,
      Date.now(),
    );
    return this.owner(holdId)!;
  }

  /** The owner of the id here, or null when nobody claimed it in this registry. */
  async ownerOf(holdId: string, withLegacy = false): Promise<string | null> {
    return this.owner(holdId) ?? (withLegacy ? await this.legacyOwner(holdId) : null);
  }

  /** Gives up a claim whose hold was never made (the workspace does not exist). */
  unclaim(holdId: string, workspaceId: string): void {
    this.ctx.storage.sql.exec('DELETE FROM hold_owners WHERE hold_id = ? AND workspace_id = ?', holdId, workspaceId);
  }

  private owner(holdId: string): string | null {
    const rows = this.ctx.storage.sql.exec<{ workspace_id: string }>('SELECT workspace_id FROM hold_owners WHERE hold_id = ?', holdId).toArray();
    return rows[0]?.workspace_id ?? null;
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
