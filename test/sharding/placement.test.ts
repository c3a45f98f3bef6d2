// Issue 12: the ledger spread over a directory D1 and ledger shards. Where workspaces go, that
// they stay there, and that each one's ledger rows are in its one shard and nowhere else.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { placeNewWorkspace, shardD1, shardNameOf, shardNames } from '../../workers/storage/databases';
import { fnv1a32, parseShardNames, shardFor } from '../../workers/storage/placement';
import { createWorkspace, deduct, grant } from '../helpers/fixtures';

const CREDIT = 1_000_000;
const NAMES = ['LEDGER_SHARD_0', 'LEDGER_SHARD_1', 'LEDGER_SHARD_2', 'LEDGER_SHARD_3'];
const workerEnv = env as unknown as Env;

/** The shard the directory records for the workspace, read straight from the directory. */
const recordedShard = async (workspaceId: string) =>
  (await env.DB.prepare('SELECT shard FROM workspaces WHERE id = ?').bind(workspaceId).first<{ shard: string }>())!.shard;

/** How many rows of `table` the workspace has in each shard, by shard name. */
async function rowsPerShard(table: string, workspaceId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of NAMES) {
    counts[name] = (await shardD1(workerEnv, name).prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE workspace_id = ?`).bind(workspaceId).first<{ n: number }>())!.n;
  }
  return counts;
}

describe('placement is a pure, stable function of the workspace id', () => {
  it('hashes with FNV-1a (32 bits): the published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('gives the same shard for the same id, every time, and spreads ids over all shards', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `ws_${i.toString(36)}_placement`);
    const first = ids.map((id) => shardFor(id, NAMES));
    expect(ids.map((id) => shardFor(id, NAMES))).toEqual(first);
    const perShard = new Map<string, number>();
    for (const s of first) perShard.set(s, (perShard.get(s) ?? 0) + 1);
    expect([...perShard.keys()].sort()).toEqual(NAMES);
    for (const n of perShard.values()) expect(n).toBeGreaterThan(50); // 100 each on average
  });

  it('reads the shard list from LEDGER_SHARDS, in order, and refuses an empty one', () => {
    expect(shardNames(workerEnv)).toEqual(NAMES);
    expect(parseShardNames(' A , B,,C ')).toEqual(['A', 'B', 'C']);
    expect(() => shardFor('ws_x', [])).toThrow(/no ledger shard/);
  });

  it('places new workspaces only on LEDGER_SHARDS_FOR_NEW_WORKSPACES when it is set', () => {
    const onlyNew = { ...workerEnv, LEDGER_SHARDS_FOR_NEW_WORKSPACES: 'LEDGER_SHARD_3' };
    for (let i = 0; i < 20; i++) expect(placeNewWorkspace(onlyNew, `ws_${i}_new`)).toBe('LEDGER_SHARD_3');
    expect(() => placeNewWorkspace({ ...workerEnv, LEDGER_SHARDS_FOR_NEW_WORKSPACES: 'LEDGER_SHARD_9' }, 'ws_x')).toThrow(/not in LEDGER_SHARDS/);
  });
});

describe('40 workspaces created through the API', () => {
  it('land on all 4 shards, each on the shard its id hashes to, recorded in the directory', async () => {
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => createWorkspace(`Spread ${i}`)));
    const shards = await Promise.all(created.map((ws) => recordedShard(ws.workspaceId)));
    expect(new Set(shards)).toEqual(new Set(NAMES));
    created.forEach((ws, i) => expect(shards[i], ws.workspaceId).toBe(shardFor(ws.workspaceId, NAMES)));
  });

  it("keep each workspace's ledger rows in its recorded shard and in no other", async () => {
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => createWorkspace(`Rows ${i}`)));
    await Promise.all(created.map(async (ws) => {
      await grant(ws.workspaceId, 5 * CREDIT);
      expect((await deduct(ws.workspaceId, CREDIT)).status).toBe(201);
    }));
    for (const ws of created) {
      const home = await recordedShard(ws.workspaceId);
      for (const [table, expected] of [['transactions', 2], ['balances', 1], ['ledger_workspaces', 1]] as const) {
        const counts = await rowsPerShard(table, ws.workspaceId);
        expect(counts, `${table} of ${ws.workspaceId} (home ${home})`).toEqual(Object.fromEntries(NAMES.map((n) => [n, n === home ? expected : 0])));
      }
    }
  });
});

describe('adding a shard', () => {
  it('does not move an existing workspace: its recorded shard is used, not the hash over the longer list', async () => {
    const longer = { ...workerEnv, LEDGER_SHARDS: `${NAMES.join(',')},LEDGER_SHARD_4` };
    // Workspaces whose hash over five names differs from the one over four: they would move if the
    // shard were recomputed.
    const moved: string[] = [];
    while (moved.length < 3) {
      const ws = await createWorkspace('Before the new shard');
      if (shardFor(ws.workspaceId, shardNames(longer)) !== shardFor(ws.workspaceId, NAMES)) moved.push(ws.workspaceId);
    }
    for (const id of moved) {
      const recorded = await recordedShard(id);
      expect(recorded).toBe(shardFor(id, NAMES));
      expect(await shardNameOf(longer, id)).toBe(recorded);
    }
    // A workspace created now is placed over the longer list (here: by the pure placement alone,
    // since the test runtime has no fifth binding).
    expect(NAMES.concat('LEDGER_SHARD_4')).toContain(placeNewWorkspace(longer, 'ws_after_the_new_shard'));
  });
});
