import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { directoryD1 } from '../storage/databases';

// Which workspace owns a hold id. Hold ids are the caller's and unique across workspaces; a capture
// or release names only the hold. The owners live in a few small Durable Objects, chosen by a hash
// of the id, rather than in the directory D1: claiming an id is then a write to an object's own
// SQLite (durable before the answer, as any object write), which costs about what the ledger
// object's own decision costs, so the claim made beside it no longer sets the hold's latency (a D1
// write did: a hold took 1.7x a credit check). Owners never change once claimed.
//
// Before this registry, claims went to the directory's `hold_owners` table (directory migration
// 0004). A deployment that made holds then still has those rows: while that table holds any, a
// new claim here first looks its id up there, so an old claim is never taken by another
// workspace. A fresh deployment's table stays empty and costs one read per registry object.

/** How many registry objects share the ids. Never change it: an id's object is found by it. */
export const HOLD_REGISTRY_SHARDS = 32;

export class HoldIdRegistry extends DurableObject<Env> {
  private legacyRows: Promise<boolean> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS hold_owners (hold_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, claimed_at_ms INTEGER NOT NULL)');
  }

  /** Claims the id for the workspace unless it has an owner; answers the owner either way. */
  async claim(holdId: string, workspaceId: string): Promise<string> {
    const known = this.owner(holdId);
    if (known) return known;
    // An await on D1 lets other calls in (the input gate only holds for storage): the insert below
    // is what decides, atomically, whoever got there first.
    const legacy = await this.legacyOwner(holdId);
    this.ctx.storage.sql.exec(
      'INSERT INTO hold_owners (hold_id, workspace_id, claimed_at_ms) VALUES (?, ?, ?) ON CONFLICT (hold_id) DO NOTHING',
      holdId,
      legacy ?? workspaceId,
      Date.now(),
    );
    return this.owner(holdId)!;
  }

  /** The owner of the id, or null when nobody claimed it. */
  async ownerOf(holdId: string): Promise<string | null> {
    return this.owner(holdId) ?? (await this.legacyOwner(holdId));
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

/** The registry object that owns the id (FNV-1a of the id, over HOLD_REGISTRY_SHARDS objects). */
export function holdRegistryFor(env: Env, holdId: string): DurableObjectStub<HoldIdRegistry> {
  let hash = 0x811c9dc5;
  for (let i = 0; i < holdId.length; i++) {
    hash ^= holdId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const shard = hash % HOLD_REGISTRY_SHARDS;
  return env.HOLD_ID_REGISTRY.get(env.HOLD_ID_REGISTRY.idFromName(`hold-ids-${shard}`));
}
