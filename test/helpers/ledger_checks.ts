// Direct looks at a workspace's ledger that several suites share: its Durable Object stub, and the
// ledger invariant checked on the spot. Not a test file.
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { expect } from 'vitest';
import type { AlarmPlan } from '../../workers/ledger/enforcement';

/** The Durable Object stub of a workspace's ledger, addressed the way the Worker addresses it. */
export const ledgerStub = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));

/** The ledger invariant, checked on the spot: balance row == sum of completed entries, never negative. */
export async function expectInvariant(workspaceId: string) {
  const row = await env.DB.prepare(
    `SELECT b.balance_micros AS balance,
            (SELECT COALESCE(SUM(amount_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS ledger
       FROM balances b WHERE b.workspace_id = ?`,
  )
    .bind(workspaceId)
    .first<{ balance: number; ledger: number }>();
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
  const [plan, storedAtMs] = await runInDurableObject(ledgerStub(workspaceId), async (instance, state) => [
    (instance as unknown as { enforcement: { plan: AlarmPlan } }).enforcement.plan,
    await state.storage.getAlarm(),
  ] as const);
  expect(storedAtMs, 'the stored alarm is the earliest of what it serves').toBe(plan.alarmAtMs);
  return plan;
}
