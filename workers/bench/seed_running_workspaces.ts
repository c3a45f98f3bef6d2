// For `npm run bench` only (bench_floor.ts, in the bench's own entry, behind BENCH_ROUTES and the
// internal token): thousands of workspaces for the settlement benchmark in a few D1 batches
// instead of three API calls each.
import type { Env } from '../env';
import { newId } from '../lib/ids';
import { ledgerFor } from '../ledger/ledger_stub';
import { placeNewWorkspace, shardD1, shardNames } from '../storage/databases';

const GRANT_MICROS = 50_000_000;
/** Each block but the last holds this much, and is spent first (priority 0): an hour of cpu-small (36,000 micros) draws on all of 100 blocks. */
const SMALL_BLOCK_MICROS = 100;
export const MAX_BENCH_BLOCKS = 100;

/**
 * `count` workspaces, each granted 50 credits (one completed adjustment, so balance = sum of
 * entries) and running one cpu-small instance since `startedAtMs`: the rows the API would write,
 * in one batch. `createdAtMs` (default now) back-dates the workspace, its grant and its instance's
 * rows as if the API had written them then (the alarm bench needs hours that have already closed;
 * an instance never starts before its workspace, so `startedAtMs` must not be before it).
 * Then, unless `wake` is false, each ledger object is loaded once (see wakeLedgers), as it would
 * have been by the API calls. Answers the workspace ids.
 */
export async function seedRunningWorkspaces(env: Env, count: number, startedAtMs: number, createdAtMs?: number, wake = true, blocks = 1): Promise<string[]> {
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > MAX_BENCH_BLOCKS) throw new Error(`blocks: 1-${MAX_BENCH_BLOCKS}`);
  if (createdAtMs !== undefined && startedAtMs < createdAtMs) throw new Error('an instance cannot start before its workspace exists');
  const nowMs = createdAtMs ?? Date.now();
  const rows = Array.from({ length: count }, () => {
    const workspaceId = newId('ws', nowMs);
    return [workspaceId, newId('txn', nowMs), `res_${workspaceId}`, placeNewWorkspace(env, workspaceId)];
  });
  // ?1 now, ?2 the rows, ?3 the grant, ?4 the start, ?5 blocks per workspace, ?6 a small block's
  // amount; SQLite counts parameters up to the highest used.
  const statements = (d1: D1Database, packed: string) => {
    const params = [nowMs, packed, GRANT_MICROS, startedAtMs, blocks, SMALL_BLOCK_MICROS];
    return (sql: string) => d1.prepare(sql).bind(...params.slice(0, Math.max(...[...sql.matchAll(/\?(\d)/g)].map((m) => Number(m[1])))));
  };
  // Each shard's rows first, then the directory's (as a workspace is created through the API).
  for (const shard of shardNames(env)) {
    const mine = rows.filter((r) => r[3] === shard);
    if (mine.length === 0) continue;
    const d1 = shardD1(env, shard);
    const each = statements(d1, JSON.stringify(mine));
    await d1.batch([
      each(`INSERT INTO ledger_workspaces (workspace_id, created_at_ms) SELECT value ->> 0, ?1 FROM json_each(?2)`),
      each(`INSERT INTO balances (workspace_id, balance_micros, updated_at_ms) SELECT value ->> 0, ?3, ?1 FROM json_each(?2)`),
      each(
        `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros, balance_after_micros, created_at_ms, settled_at_ms)
         SELECT value ->> 1, value ->> 0, 'bench-grant', 'bench', 'adjustment', 'completed', 'Bench grant', ?3, ?3, ?1, ?1 FROM json_each(?2)`,
      ),
      // The grant as credit blocks (the balance is their sum, as the ledger object checks on load):
      // blocks-1 small ones spent first, then one holding the rest.
      each(
        `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ?5)
         INSERT INTO credit_blocks (id, workspace_id, category, source, transaction_id, amount_micros, remaining_micros, priority, created_at_ms)
         SELECT 'blk_bench_' || (value ->> 0) || '_' || k.i, value ->> 0, 'promotional', 'adjustment', value ->> 1,
                CASE WHEN k.i < ?5 - 1 THEN ?6 ELSE ?3 - (?5 - 1) * ?6 END, CASE WHEN k.i < ?5 - 1 THEN ?6 ELSE ?3 - (?5 - 1) * ?6 END,
                CASE WHEN k.i < ?5 - 1 THEN 0 ELSE 50 END, ?1
           FROM json_each(?2) CROSS JOIN k`,
      ),
      each(
        `INSERT INTO resources (id, workspace_id, kind, instance_type, request_hash, started_at_ms, created_at_ms)
         SELECT value ->> 2, value ->> 0, 'instance', 'cpu-small', 'bench', ?4, ?1 FROM json_each(?2)`,
      ),
      each(`INSERT INTO resource_intervals (resource_id, workspace_id, started_at_ms, instance_type) SELECT value ->> 2, value ->> 0, ?4, 'cpu-small' FROM json_each(?2)`),
    ]);
  }
  const each = statements(env.DB, JSON.stringify(rows));
  await env.DB.batch([
    each(`INSERT INTO workspaces (id, name, created_at_ms, shard) SELECT value ->> 0, 'settlement bench', ?1, value ->> 3 FROM json_each(?2)`),
    each(`INSERT INTO resource_owners (resource_id, workspace_id, claimed_at_ms) SELECT value ->> 2, value ->> 0, ?1 FROM json_each(?2)`),
  ]);
  const ids = rows.map((r) => r[0]!);
  if (wake) await wakeLedgers(env, ids);
  return ids;
}

/**
 * Creates each workspace's ledger object and its own storage without loading its state (so it arms
 * no alarm): what an object that has existed since its workspace's first call already has. Creating
 * an object's SQLite storage is by far the dearest step of a first call locally; the alarm bench
 * pays it here, so that loading the objects afterwards takes about what settling them does.
 */
export async function createLedgers(env: Env, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => ledgerFor(env, id).storageStats()));
}

/**
 * Loads each workspace's ledger object once (it checks the ledger invariant and arms its alarm by
 * the usual rules), 50 at a time. Answers the earliest and latest settlement the objects armed
 their alarm for.
 */
export async function wakeLedgers(env: Env, ids: readonly string[]): Promise<{ firstDueMs: number | null; lastDueMs: number | null }> {
  let firstDueMs: number | null = null;
  let lastDueMs: number | null = null;
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (id) => {
        const loaded = await ledgerFor(env, id).checkBalance(id);
        if (!loaded.ok) throw new Error(`${id}: ${loaded.message}`);
        const at = loaded.value.settlementAtMs;
        if (at === null) return;
        firstDueMs = firstDueMs === null ? at : Math.min(firstDueMs, at);
        lastDueMs = lastDueMs === null ? at : Math.max(lastDueMs, at);
      }),
    );
  }
  return { firstDueMs, lastDueMs };
}

/** Settles every hour before `cutoffMs` of each workspace, through its ledger object as the settlement queue's consumer does, 50 at a time. */
export async function settleLedgers(env: Env, ids: readonly string[], cutoffMs: number): Promise<number> {
  let settled = 0;
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (id) => {
        const result = await ledgerFor(env, id).settle(id, cutoffMs);
        if (!result.ok) throw new Error(`${id}: ${result.message}`);
        settled++;
      }),
    );
  }
  return settled;
}
