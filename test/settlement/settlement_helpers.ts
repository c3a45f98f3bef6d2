// Helpers shared by the settlement test files: usage events, direct looks at D1, a capture of what
// the cron would enqueue, and a way to let the real (local) queue drain. Not a test file.
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import type { SettlementMessage } from '../../workers/env';
import { enqueueSettlement } from '../../workers/settlement/enqueue_settlement';
import { internal } from '../helpers/api';
import { createWorkspace, grant, unique, type TestWorkspace } from '../helpers/fixtures';
import { HOUR_MS, hourOf, usageEntries, waitForHistory } from '../helpers/settlement';
import { shardD1Of } from '../helpers/ledger_checks';

export const CREDIT = 1_000_000;
export const MINUTE_MS = 60_000;

/** The hour the test runs in (the open hour): every test works on hours before it. */
export const currentHour = () => hourOf(Date.now());
export const iso = (ms: number) => new Date(ms).toISOString();
/** How a usage entry's description names its hour: "Usage 2026-11-21 10:00–11:00 UTC: …". */
export const hourLabel = (hourMs: number) => `Usage ${iso(hourMs).slice(0, 16).replace('T', ' ')}–${iso(hourMs + HOUR_MS).slice(11, 16)} UTC`;

// --- usage events ---------------------------------------------------------------------------------

export const toolEvent = (workspaceId: string, occurredAtMs: number, id = unique('tool')) => ({
  id,
  workspaceId,
  type: 'tool_execution' as const,
  occurredAt: iso(occurredAtMs),
});

export const chargeEvent = (workspaceId: string, occurredAtMs: number, amountMicros: number, id = unique('charge'), description = 'Test charge') => ({
  id,
  workspaceId,
  type: 'charge' as const,
  amountMicros,
  description,
  occurredAt: iso(occurredAtMs),
});

export const modelEvent = (workspaceId: string, occurredAtMs: number, model: string, inputTokens: number, outputTokens: number, id = unique('model')) => ({
  id,
  workspaceId,
  type: 'model' as const,
  model,
  inputTokens,
  outputTokens,
  occurredAt: iso(occurredAtMs),
});

export const postUsage = (events: unknown[]) => internal('POST', '/internal/v1/usage', { events });

/** Posts events and expects them all to be accepted as new. */
export async function recordUsage(events: unknown[]) {
  const res = await postUsage(events);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.accepted).toBe(events.length);
  return res.body as { accepted: number; duplicates: number; costMicros: number };
}

export const startInstance = (workspaceId: string, id: string, instanceType: string, startedAtMs?: number) =>
  internal('POST', '/internal/v1/resources', {
    id,
    workspaceId,
    kind: 'instance',
    instanceType,
    ...(startedAtMs === undefined ? {} : { startedAt: iso(startedAtMs) }),
  });

export const stopResource = (id: string, stoppedAtMs?: number) =>
  internal('POST', `/internal/v1/resources/${id}/stop`, stoppedAtMs === undefined ? {} : { stoppedAt: iso(stoppedAtMs) });

/** A workspace granted `credits` credits (none when 0). */
export async function fundedWorkspace(name: string, credits = 100): Promise<TestWorkspace> {
  const ws = await createWorkspace(name);
  if (credits > 0) await grant(ws.workspaceId, credits * CREDIT);
  return ws;
}

// --- D1 -------------------------------------------------------------------------------------------

export interface UsageRow {
  id: string;
  description: string;
  amount_micros: number;
  forgiven_micros: number;
  balance_after_micros: number | null;
}

/** Every completed usage entry of a workspace, oldest first, straight from D1. */
export async function usageRows(workspaceId: string): Promise<UsageRow[]> {
  const { results } = await shardD1Of(workspaceId).prepare(
    `SELECT id, description, amount_micros, forgiven_micros, balance_after_micros FROM transactions
      WHERE workspace_id = ? AND type = 'usage' AND status = 'completed' ORDER BY seq`,
  )
    .bind(workspaceId)
    .all<UsageRow>();
  return results;
}

/** The usage entries whose description names `hourMs`. */
export const entriesForHour = (rows: UsageRow[], hourMs: number) => rows.filter((r) => r.description.includes(hourLabel(hourMs)));

export interface LineRow {
  hour_ms: number;
  kind: string;
  line_key: string;
  transaction_id: string;
  count: number;
  input_tokens: number;
  output_tokens: number;
  runtime_ms: number;
  cost_micros: number;
  forgiven_micros: number;
}

export async function settlementLines(workspaceId: string): Promise<LineRow[]> {
  const { results } = await shardD1Of(workspaceId).prepare(
    `SELECT hour_ms, kind, line_key, transaction_id, count, input_tokens, output_tokens, runtime_ms, cost_micros, forgiven_micros
       FROM settlement_lines WHERE workspace_id = ? ORDER BY hour_ms, kind, line_key`,
  )
    .bind(workspaceId)
    .all<LineRow>();
  return results;
}

/** hour → the distinct transactions its settlement lines point at. */
export async function lineSetsByHour(workspaceId: string): Promise<Map<number, string[]>> {
  const byHour = new Map<number, string[]>();
  for (const l of await settlementLines(workspaceId)) {
    const ids = byHour.get(l.hour_ms) ?? [];
    if (!ids.includes(l.transaction_id)) ids.push(l.transaction_id);
    byHour.set(l.hour_ms, ids);
  }
  return byHour;
}

export async function balanceOf(workspaceId: string) {
  return (await shardD1Of(workspaceId).prepare('SELECT balance_micros AS b, settled_through_ms AS s FROM balances WHERE workspace_id = ?')
    .bind(workspaceId)
    .first<{ b: number; s: number }>())!;
}

/** Everything settlement may touch, per workspace: compare before and after a rerun. */
export async function snapshot(workspaceIds: string[]) {
  const out: Record<string, unknown> = {};
  for (const id of workspaceIds) {
    const row = await shardD1Of(id).prepare(
      `SELECT b.balance_micros AS balance, b.settled_through_ms AS settledThrough,
              (SELECT COUNT(*) FROM transactions t WHERE t.workspace_id = b.workspace_id) AS transactions,
              (SELECT COALESCE(SUM(t.amount_micros), 0) FROM transactions t WHERE t.workspace_id = b.workspace_id AND t.status = 'completed') AS ledgerSum,
              (SELECT COUNT(*) FROM settlement_lines s WHERE s.workspace_id = b.workspace_id) AS lines
         FROM balances b WHERE b.workspace_id = ?`,
    )
      .bind(id)
      .first();
    out[id] = row;
  }
  return out;
}

// --- settlement plumbing --------------------------------------------------------------------------

/** What the cron would enqueue at `scheduledTimeMs`, captured instead of sent (restricted to `only`). */
export async function cronWouldEnqueue(scheduledTimeMs: number, only: string[], lagMs = 0): Promise<SettlementMessage[]> {
  const sent: SettlementMessage[] = [];
  const capture = {
    sendBatch: async (messages: Iterable<MessageSendRequest<SettlementMessage>>) => {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue<SettlementMessage>;
  await enqueueSettlement({ ...env, SETTLEMENT_QUEUE: capture }, scheduledTimeMs, lagMs);
  return sent.filter((m) => only.includes(m.workspaceId)).sort((a, b) => (a.workspaceId < b.workspaceId ? -1 : 1));
}

/**
 * Lets the real local queue drain: a fresh workspace with one tool execution gets its own message
 * sent to the queue; it is delivered after everything enqueued before it, so once the sentinel is
 * settled, earlier messages have been delivered too. Settles nothing else.
 */
export async function drainQueue() {
  const sentinel = await fundedWorkspace('Queue sentinel', 1);
  const hourMs = currentHour() - HOUR_MS;
  await recordUsage([toolEvent(sentinel.workspaceId, hourMs + 1)]);
  await env.SETTLEMENT_QUEUE.send({ workspaceId: sentinel.workspaceId, cutoffMs: hourMs + HOUR_MS });
  await waitForHistory(sentinel.adminKey, '?type=usage&status=completed', (d) => usageEntries(d).length === 1);
}
