// Direct looks at a workspace's ledger that several suites share: its Durable Object stub, and the
// ledger invariant checked on the spot. Not a test file.
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { expect } from 'vitest';
import { allShards, ledgerShardOf, shardD1, shardNames } from '../../workers/storage/databases';
import { shardFor } from '../../workers/storage/placement';

// The ledger tables live in the workspace's shard (workers/storage/): a test reads them there.

/** The D1 of the workspace's ledger shard (the one the directory records for it). */
export const ledgerD1 = async (workspaceId: string): Promise<D1Database> => (await ledgerShardOf(env, workspaceId)).d1;

/**
 * The D1 of the shard a workspace is placed on, known without a round trip: placement is a pure
 * function of the id, and the tests create every workspace under one LEDGER_SHARDS list, so this is
 * the shard the directory records (test/sharding/placement.test.ts checks it for 40 workspaces).
 * For a statement that must be built synchronously (into a batch); else prefer ledgerD1.
 */
export const shardD1Of = (workspaceId: string): D1Database => shardD1(env, shardFor(workspaceId, shardNames(env)));

/** Every ledger shard's D1. */
export const shardD1s = (): D1Database[] => allShards(env).map((s) => s.d1);

/** The rows of a query run in every shard (for lookups by an id that names no workspace). */
export async function rowsInAllShards<T>(sql: string, ...binds: unknown[]): Promise<T[]> {
  const pages = await Promise.all(shardD1s().map((d1) => d1.prepare(sql).bind(...binds).all<T>()));
  return pages.flatMap((p) => p.results);
}

/** The first row of a query run in every shard; null when no shard has one. */
export async function firstInAnyShard<T>(sql: string, ...binds: unknown[]): Promise<T | null> {
  return (await rowsInAllShards<T>(sql, ...binds))[0] ?? null;
}
import type { AlarmPlan } from '../../workers/ledger/enforcement/enforcement';

/** The Durable Object stub of a workspace's ledger, addressed the way the Worker addresses it. */
export const ledgerStub = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));

/**
 * Waits until the workspace's ledger object has projected to D1 every entry it answered
 * (deductions and adjustments are durable in the object first, workers/ledger/writes/entry_journal.ts):
 * a test reading D1 straight after a deduction calls this first, as the Worker's readers do.
 */
export async function projected(workspaceId: string): Promise<void> {
  const result = await ledgerStub(workspaceId).projected();
  if (!result.ok) throw new Error(`the ledger object of ${workspaceId} could not project its journal: ${result.message}`);
}

/** A workspace's balance row beside its ledger: what the ledger invariant compares (null: no balance row). */
export interface LedgerSums {
  balance: number;
  keptSum: number;
  ledger: number;
  /** The smallest balance after any completed entry (0 with none). */
  minBalanceAfter: number;
}

/** The balance row, the sum the shard's triggers keep and the real sum of completed entries, read once projected. */
export async function ledgerSums(workspaceId: string): Promise<LedgerSums | null> {
  await projected(workspaceId);
  return (await ledgerD1(workspaceId)).prepare(
    `SELECT b.balance_micros AS balance, b.ledger_sum_micros AS keptSum,
            (SELECT COALESCE(SUM(amount_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS ledger,
            (SELECT COALESCE(MIN(balance_after_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS minBalanceAfter
       FROM balances b WHERE b.workspace_id = ?`,
  )
    .bind(workspaceId)
    .first<LedgerSums>();
}

/** The ledger invariant, checked on the spot: balance row == sum of completed entries, never negative. */
export async function expectInvariant(workspaceId: string) {
  const row = await ledgerSums(workspaceId);
  expect(row, `balances row of ${workspaceId}`).not.toBeNull();
  expect(row!.balance, `balance of ${workspaceId} equals its ledger`).toBe(row!.ledger);
  expect(row!.balance).toBeGreaterThanOrEqual(0);
}

/** How many raw usage events the workspace's ledger object holds in its own storage. */
export const storedEventsOf = (workspaceId: string) =>
  runInDurableObject(ledgerStub(workspaceId), (_instance, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM usage_events').one().n);

/**
 * What the ledger object's one alarm was last armed for, and the reasons it serves (the balance
 * prediction, settlement of the oldest open hour, pruning); checks on the spot that the stored
 * alarm is the earliest of them.
 */
export async function alarmPlanOf(workspaceId: string): Promise<AlarmPlan> {
  // While deductions wait for their projection the alarm is armed for that too (entry_journal.ts).
  await projected(workspaceId);
  const [plan, storedAtMs] = await runInDurableObject(ledgerStub(workspaceId), async (instance, state) => [
    (instance as unknown as { enforcement: { plan: AlarmPlan } }).enforcement.plan,
    await state.storage.getAlarm(),
  ] as const);
  expect(storedAtMs, 'the stored alarm is the earliest of what it serves').toBe(plan.alarmAtMs);
  return plan;
}
