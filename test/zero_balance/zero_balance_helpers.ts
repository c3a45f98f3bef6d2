// Helpers shared by the zero-balance test files: the workspace's ledger object (its alarm, its
// simulated alarm), direct looks at D1 (resources, intervals, outbox), and the internal endpoints
// the platform calls (credit-check, storage-quota, events). Not a test file.
import { expect } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { alarmPlanOf, firstInAnyShard, rowsInAllShards, shardD1Of } from '../helpers/ledger_checks';

export const CREDIT = 1_000_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const iso = (ms: number) => new Date(ms).toISOString();

export { expectInvariant, ledgerStub } from '../helpers/ledger_checks';

/**
 * When the workspace's ledger object wakes up for its balance (the predicted zero crossing, the
 * low-balance horizon, the auto-top-up threshold), epoch ms, or null. Its one stored alarm is the
 * earliest of this and the settlement of its oldest open hour (checked by alarmPlanOf).
 */
export const balanceAlarmOf = async (workspaceId: string) => (await alarmPlanOf(workspaceId)).balanceAtMs;

export const creditCheck = async (workspaceId: string, amountMicros: number) => {
  const res = await internal('GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=${amountMicros}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { allowed: boolean; balanceMicros: number };
};

export const storageQuota = async (workspaceId: string) => {
  const res = await internal('GET', `/internal/v1/workspaces/${workspaceId}/storage-quota`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { usedBytes: number; accessible: boolean };
};

export const credits = async (apiKey: string) => {
  const res = await publicApi('GET', '/v1/billing/credits', apiKey);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { balanceMicros: number; accumulatingMicros: number; burnRateMicrosPerHour: number; hoursRemaining: number | null; updatedAt: string };
};

export interface PlatformEventView {
  id: string;
  type: string;
  createdAt: string;
  workspaceId: string;
  data: Record<string, any>;
  delivery: { state: string; attempts: number; lastAttemptAt: string | null; lastError: string | null; deliveredAt: string | null };
}

/** The workspace's platform events through the internal endpoint, newest first. */
export async function eventsOf(workspaceId: string, type?: string): Promise<PlatformEventView[]> {
  const res = await internal('GET', `/internal/v1/workspaces/${workspaceId}/events?limit=200${type ? `&type=${type}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}

/** Count of each event type of a workspace. */
export async function eventCounts(workspaceId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const e of await eventsOf(workspaceId)) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}

export const startResource = (body: Record<string, unknown>) => internal('POST', '/internal/v1/resources', body);

export const startInstance = (workspaceId: string, id: string, instanceType: string, startedAtMs?: number) =>
  startResource({ id, workspaceId, kind: 'instance', instanceType, ...(startedAtMs === undefined ? {} : { startedAt: iso(startedAtMs) }) });

export const startVolume = (workspaceId: string, id: string, sizeBytes: number, startedAtMs?: number) =>
  startResource({ id, workspaceId, kind: 'volume', sizeBytes, ...(startedAtMs === undefined ? {} : { startedAt: iso(startedAtMs) }) });

export interface ResourceRow {
  id: string;
  workspace_id: string;
  kind: string;
  instance_type: string | null;
  size_bytes: number | null;
  started_at_ms: number;
  stopped_at_ms: number | null;
  stop_reason: string | null;
}

export const resourceRow = (id: string) => firstInAnyShard<ResourceRow>('SELECT * FROM resources WHERE id = ?', id);

export interface IntervalRowDb {
  resource_id: string;
  started_at_ms: number;
  stopped_at_ms: number | null;
  size_bytes: number | null;
}

export async function intervalsOf(resourceId: string): Promise<IntervalRowDb[]> {
  return rowsInAllShards<IntervalRowDb>('SELECT resource_id, started_at_ms, stopped_at_ms, size_bytes FROM resource_intervals WHERE resource_id = ? ORDER BY started_at_ms', resourceId);
}

export async function usageEntries(workspaceId: string) {
  const { results } = await shardD1Of(workspaceId).prepare(
    `SELECT id, idempotency_key, description, amount_micros, forgiven_micros, balance_after_micros FROM transactions
      WHERE workspace_id = ? AND type = 'usage' AND status = 'completed' ORDER BY seq`,
  )
    .bind(workspaceId)
    .all<{ id: string; idempotency_key: string; description: string; amount_micros: number; forgiven_micros: number; balance_after_micros: number }>();
  return results;
}

export async function balanceRow(workspaceId: string) {
  return (await shardD1Of(workspaceId).prepare('SELECT balance_micros AS b, settled_through_ms AS s FROM balances WHERE workspace_id = ?').bind(workspaceId).first<{ b: number; s: number }>())!;
}

/** Polls `read` until `done` holds or the deadline passes (for work the runtime does on its own). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: never happened within ${timeoutMs} ms; last seen ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
