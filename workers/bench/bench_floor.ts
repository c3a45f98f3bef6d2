import { Hono } from 'hono';
import { requireInternalToken } from '../auth/require_internal_token';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { allShards, ledgerShardOf, shardD1, shardNames } from '../storage/databases';
import { DEFAULT_REGION } from '../regions/regions';
import { shardFor } from '../storage/placement';
import { holdRegistryFor } from '../tenancy/hold_id_registry';
import { createLedgers, MAX_BENCH_BLOCKS, seedRunningWorkspaces, settleLedgers, wakeLedgers } from './seed_running_workspaces';

/**
 * Floors for `npm run bench`, measured on the same server in the same run: a usage request accepted
 * and answered with nothing done; raw D1 inserts of the rows the ingestion path used to write to D1
 * (before events moved into the ledger objects), and
 * counts (stored events, D1 and object bytes, settled hours); a deposit opened and closed without
 * Stripe (the ledger object's two grouped writes); a ledger of many entries for the history bench.
 * Mounted only by the bench's own entry (bench_worker.ts; `npm run deploy` never bundles this
 * module), and even there answering only with BENCH_ROUTES=enabled and the internal token.
 */
export const benchFloor = new Hono<AppEnv>();

benchFloor.use('*', async (c, next) => {
  if (c.env.BENCH_ROUTES !== 'enabled') throw new ApiError('not_found', 'No such route.');
  await next();
});
benchFloor.use('*', requireInternalToken);

/**
 * The floor under any ingestion design on this server: the same request (internal token, a body of
 * events parsed) answered without validating, pricing or storing anything. No design can ingest
 * faster than this; it tells how much of a ratio to another design is left to win at all.
 */
benchFloor.post('/accept-usage', async (c) => {
  const { events } = await c.req.json<{ events: unknown[] }>();
  return c.json({ accepted: events.length });
});

/**
 * The floor under any write that is durable before its answer: one row written to a Durable
 * Object's own SQLite (a row of a hold-id registry object, under an id of its own) and answered. A
 * hold does that and decides the balance besides; a credit check only reads.
 */
benchFloor.post('/object-write', async (c) => {
  const { id } = await c.req.json<{ id: string }>();
  const key = `bench-floor-${id}`;
  // One row, nothing else (a claim also queues the row to be told to the other regions).
  await holdRegistryFor(c.env, key, DEFAULT_REGION).learn([{ holdId: key, workspaceId: 'ws_bench_floor', region: DEFAULT_REGION }]);
  return c.json({ owner: 'ws_bench_floor' });
});

benchFloor.post('/raw-usage-insert', async (c) => {
  const { workspaceId, events } = await c.req.json<{ workspaceId: string; events: Array<{ id: string; model: string; inputTokens: number; outputTokens: number }> }>();
  const nowMs = Date.now();
  const hourMs = Math.floor(nowMs / 3_600_000) * 3_600_000;
  const packed = JSON.stringify(events.map((e) => [e.id, 'raw', hourMs, nowMs, '', 'model', e.model, e.inputTokens, e.outputTokens, 0, 1]));
  // One row per event into a ledger shard (the one the id hashes to; the floor's workspace need not
  // exist): usage_rollups rows keyed by the event id, about an event's width.
  const shard = shardD1(c.env, shardFor(workspaceId, shardNames(c.env)));
  await shard
    .prepare(
      `INSERT INTO usage_rollups (workspace_id, line_key, kind, hour_ms, occurred_at_ms, member_id, description, price_version,
                                  input_tokens, output_tokens, amount_micros, count)
       SELECT ?1, value ->> 0, 'model', value ->> 2, value ->> 3, value ->> 4, value ->> 6, value ->> 10,
              value ->> 7, value ->> 8, value ->> 9, 1 FROM json_each(?2)`,
    )
    .bind(workspaceId, packed)
    .run();
  return c.json({ inserted: events.length });
});

/**
 * Workspaces with a running instance for the settlement benchmark, up to 500 a call; optionally
 * created (back-dated) at `createdAtMs`, and with their ledger objects left unloaded (`wake: false`).
 */
benchFloor.post('/running-workspaces', async (c) => {
  const { count, startedAtMs, createdAtMs, wake, blocks } = await c.req.json<{ count: number; startedAtMs: number; createdAtMs?: number; wake?: boolean; blocks?: number }>();
  if (!Number.isInteger(count) || count < 1 || count > 500 || !Number.isInteger(startedAtMs)) throw new ApiError('invalid_request', 'count: 1-500; startedAtMs: epoch ms');
  if (createdAtMs !== undefined && (!Number.isInteger(createdAtMs) || createdAtMs > startedAtMs || createdAtMs > Date.now())) {
    throw new ApiError('invalid_request', 'createdAtMs: epoch ms, not after startedAtMs nor in the future');
  }
  if (blocks !== undefined && (!Number.isInteger(blocks) || blocks < 1 || blocks > MAX_BENCH_BLOCKS)) throw new ApiError('invalid_request', `blocks: 1-${MAX_BENCH_BLOCKS}`);
  return c.json({ workspaceIds: await seedRunningWorkspaces(c.env, count, startedAtMs, createdAtMs, wake !== false, blocks ?? 1) });
});

/** Creates the given workspaces' ledger objects and their storage, without loading them (no alarm). */
benchFloor.post('/create-ledgers', async (c) => {
  const { workspaceIds } = await c.req.json<{ workspaceIds: string[] }>();
  if (!Array.isArray(workspaceIds) || workspaceIds.length > 500) throw new ApiError('invalid_request', 'workspaceIds: up to 500');
  await createLedgers(c.env, workspaceIds);
  return c.json({ created: workspaceIds.length });
});

/** Asks the given workspaces' ledger objects to settle every hour before `cutoffMs` (as the queue consumer does), 50 at a time. */
benchFloor.post('/settle-ledgers', async (c) => {
  const { workspaceIds, cutoffMs } = await c.req.json<{ workspaceIds: string[]; cutoffMs: number }>();
  if (!Array.isArray(workspaceIds) || workspaceIds.length > 500 || !Number.isInteger(cutoffMs)) throw new ApiError('invalid_request', 'workspaceIds: up to 500; cutoffMs: epoch ms');
  return c.json({ settled: await settleLedgers(c.env, workspaceIds, cutoffMs) });
});

/** Loads the given workspaces' ledger objects (each arms its alarm); answers the settlement due times' span. */
benchFloor.post('/wake-ledgers', async (c) => {
  const { workspaceIds } = await c.req.json<{ workspaceIds: string[] }>();
  if (!Array.isArray(workspaceIds) || workspaceIds.length > 500) throw new ApiError('invalid_request', 'workspaceIds: up to 500');
  return c.json(await wakeLedgers(c.env, workspaceIds));
});

/**
 * How many of the settlement benchmark's workspaces (their instance's request hash is 'bench') are
 * settled through `through`: a scan of their resources and balances rows, not of every ledger
 * entry, so that polling it does not take the CPU the settlement being measured needs.
 */
benchFloor.get('/settled-bench-workspaces', async (c) => {
  const through = Number(c.req.query('through'));
  const perShard = await Promise.all(
    allShards(c.env).map(({ d1 }) =>
      d1
        .prepare(`SELECT COUNT(*) AS n FROM resources r JOIN balances b ON b.workspace_id = r.workspace_id WHERE r.request_hash = 'bench' AND b.settled_through_ms >= ?`)
        .bind(through)
        .first<{ n: number }>(),
    ),
  );
  return c.json({ settled: perShard.reduce((n, r) => n + (r?.n ?? 0), 0) });
});

benchFloor.get('/counts', async (c) => {
  const workspaceId = c.req.query('workspaceId') ?? '';
  // Over every ledger shard: settled hours, and the bytes of all shards (D1 reports a database's
  // size after each statement).
  const perShard = await Promise.all(
    allShards(c.env).map(({ d1 }) => d1.prepare("SELECT COUNT(*) AS n FROM transactions WHERE idempotency_key LIKE 'settle:%'").run<{ n: number }>()),
  );
  const sizes = perShard.map((r) => (r.meta as { size_after?: number }).size_after ?? null);
  const stored = workspaceId ? await ledgerFor(c.env, workspaceId).storageStats() : { events: 0, bytes: 0 };
  return c.json({
    // Events live in the workspace's ledger object; D1's size is what D1 reports after a statement.
    events: stored.events,
    objectBytes: stored.bytes,
    d1Bytes: sizes.every((s) => s !== null) ? sizes.reduce<number>((a, b) => a + b!, 0) : null,
    shardBytes: sizes,
    settledHours: perShard.reduce((n, r) => n + (r.results[0]?.n ?? 0), 0),
  });
});

/** A deposit opened and closed as paid, as a Checkout top-up and its webhook do, without Stripe. */
benchFloor.post('/deposit', async (c) => {
  const { workspaceId, key, amountMicros } = await c.req.json<{ workspaceId: string; key: string; amountMicros: number }>();
  const ledger = ledgerFor(c.env, workspaceId);
  unwrap(await ledger.openDeposit({ workspaceId, key, type: 'deposit', amountMicros, description: 'bench deposit' }));
  const closed = unwrap(await ledger.closeDeposit({ workspaceId, key, outcome: 'completed' }));
  return c.json(closed.value, 201);
});

/**
 * `count` ledger entries from `from` on, straight into the workspace's shard (a history of 100,000 entries cannot be
 * made through the API in a bench's time). They leave the balance where it was: pairs of a grant
 * and a usage entry of the same amount, and every 500th pair a deposit left pending and one failed
 * (rare types and statuses, for the filtered pages).
 */
benchFloor.post('/seed-ledger', async (c) => {
  const { workspaceId, from, count, balanceMicros } = await c.req.json<{ workspaceId: string; from: number; count: number; balanceMicros: number }>();
  const nowMs = Date.now();
  const rows = [];
  for (let i = from; i < from + count; i++) {
    const pair = Math.floor(i / 2);
    const first = i % 2 === 0;
    const rare = pair % 500 === 0;
    const [type, status, amount, after] = rare
      ? ['deposit', first ? 'pending' : 'failed', 1_000_000, null]
      : first
        ? ['adjustment', 'completed', 1_000, balanceMicros + 1_000]
        : ['usage', 'completed', -1_000, balanceMicros];
    rows.push([`txn_seed${i}_${workspaceId}`, `seed:${i}`, type, status, `Seeded ${type} ${i}`, amount, after, nowMs - (from + count - i)]);
  }
  await (await ledgerShardOf(c.env, workspaceId)).d1.prepare(
    `INSERT INTO transactions (id, workspace_id, idempotency_key, request_hash, type, status, description, amount_micros,
                               forgiven_micros, balance_after_micros, created_at_ms, settled_at_ms)
     SELECT value ->> 0, ?1, value ->> 1, 'seed', value ->> 2, value ->> 3, value ->> 4, value ->> 5, 0, value ->> 6, value ->> 7,
            CASE WHEN value ->> 3 = 'pending' THEN NULL ELSE value ->> 7 END
       FROM json_each(?2)`,
  )
    .bind(workspaceId, JSON.stringify(rows))
    .run();
  return c.json({ inserted: count });
});
