import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../workers/index';
import type { SettlementMessage } from '../../workers/env';
import { runScheduled } from '../../workers/settlement/run_scheduled';
import { publicApi } from './api';

export const HOUR_MS = 3_600_000;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * Fires the hourly cron by hand at `scheduledTimeMs`, as `GET /__scheduled?time=` does under
 * `npm start`: every closed hour before it is settled. Messages then go through the real (local) queue.
 */
export async function fireCron(scheduledTimeMs: number) {
  await runScheduled(env, scheduledTimeMs, '0 * * * *');
}

/**
 * Fires the deployed Worker's scheduled handler at `scheduledTimeMs`: the backstop, which leaves
 * the hour that has just closed to the ledger objects' alarms.
 */
export async function fireDeployedCron(scheduledTimeMs: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: scheduledTimeMs, cron: '0 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** Delivers settlement messages straight to the queue consumer and returns what it acked/retried. */
export async function deliverSettlement(messages: SettlementMessage[]) {
  const batch = createMessageBatch<SettlementMessage>(
    'burnrate-settlement',
    messages.map((body, i) => ({ id: `msg-${i}-${Math.random().toString(36).slice(2)}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** Polls the history until `predicate` holds (the local queue delivers within about a second). */
export async function waitForHistory(apiKey: string, query: string, predicate: (data: any[]) => boolean, timeoutMs = 8_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await publicApi('GET', `/v1/billing/credits/history${query}`, apiKey);
    if (predicate(res.body.data)) return res.body.data as any[];
    if (Date.now() > deadline) throw new Error(`history never matched: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const usageEntries = (data: any[]) => data.filter((t) => t.type === 'usage' && t.status === 'completed');
