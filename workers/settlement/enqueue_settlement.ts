import type { Env, SettlementMessage } from '../env';
import { allShards } from '../storage/databases';
import { hourOf } from '../usage/exact_cost';

const PAGE = 1000;
const SEND_BATCH = 100; // Queue sendBatch limit

/**
 * The backstop of hourly settlement (each ledger object settles its own hours on its alarm): finds
 * every workspace with usage events (held by its ledger object, recorded in
 * balances.oldest_open_event_hour_ms) or metered resources in an unsettled hour before
 * `cutoff - lagMs`, and enqueues one message for each, asking it to settle every hour before the
 * cutoff. The deployed cron passes a lag of one hour: at the top of the hour it leaves the hour that
 * has just closed to the alarms (due 1-6 minutes later) and catches only workspaces whose alarm
 * missed an earlier one; the local cron by hand passes 0 and settles everything at once. Visits
 * every ledger shard (at the same time), paging through each one's workspaces so that no single
 * query grows with the number of tenants. Returns how many were enqueued.
 */
export async function enqueueSettlement(env: Env, scheduledTimeMs: number, lagMs = 0): Promise<number> {
  const cutoffMs = hourOf(scheduledTimeMs);
  const counts = await Promise.all(allShards(env).map((shard) => enqueueShard(env, shard.d1, cutoffMs, cutoffMs - lagMs)));
  return counts.reduce((a, b) => a + b, 0);
}

async function enqueueShard(env: Env, d1: D1Database, cutoffMs: number, behindMs: number): Promise<number> {
  let after = '';
  let enqueued = 0;
  for (;;) {
    const { results } = await d1.prepare(
      `SELECT b.workspace_id AS id FROM balances b
        WHERE b.workspace_id > ?1 AND b.settled_through_ms < ?2 AND (
          b.oldest_open_event_hour_ms < ?2
          OR EXISTS (SELECT 1 FROM resource_intervals r
                   WHERE r.workspace_id = b.workspace_id AND r.started_at_ms < ?2
                     AND (r.stopped_at_ms IS NULL OR r.stopped_at_ms > b.settled_through_ms)))
        ORDER BY b.workspace_id LIMIT ?3`,
    )
      .bind(after, behindMs, PAGE)
      .all<{ id: string }>();
    for (let i = 0; i < results.length; i += SEND_BATCH) {
      const messages = results.slice(i, i + SEND_BATCH).map((r) => ({ body: { workspaceId: r.id, cutoffMs } satisfies SettlementMessage }));
      await env.SETTLEMENT_QUEUE.sendBatch(messages);
      enqueued += messages.length;
    }
    if (results.length < PAGE) return enqueued;
    after = results[results.length - 1]!.id;
  }
}
