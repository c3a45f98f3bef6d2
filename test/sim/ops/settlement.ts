// Settlement as the deployed Worker does it: each ledger object's alarm (fired late, since the
// simulator decides when, and now and then twice) and the hourly cron, whose queue messages are
// delivered by the simulator in crafted batches: duplicated, reordered, or held back and delivered
// late with their old cutoff.
import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../../workers/index';
import type { Env, SettlementMessage } from '../../../workers/env';
import type { WorkspaceLedger } from '../../../workers/ledger/object/workspace_ledger';
import { runScheduled } from '../../../workers/settlement/run_scheduled';
import { HOUR_MS } from '../clock';
import { ledgerStubOf, type World } from '../world';
import type { SimOp } from './op';

/** Delivers settlement messages to the queue consumer as one batch; answers how many were retried. */
async function deliverSettlement(w: World, messages: SettlementMessage[]): Promise<number> {
  const batch = createMessageBatch<SettlementMessage>(
    'burnrate-settlement',
    messages.map((body) => ({ id: w.nextId('msg'), timestamp: new Date(w.clock.now()), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return result.retryMessages.length;
}

export const settlementOps: SimOp[] = [
  {
    name: 'alarm',
    weight: (w) => (w.workspaces.length > 0 ? 8 : 0),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const stub = ledgerStubOf(ws.workspaceId);
      const ran = await runDurableObjectAlarm(stub);
      // Fired twice: the handler again, as a retried alarm runs it.
      const twice = ran && w.rng.chance(0.2);
      if (twice) await runInDurableObject(stub, (instance: WorkspaceLedger) => instance.alarm());
      w.note('alarm', `ws${ws.index} ${ran ? 'fired' : 'none armed'}${twice ? ', then again' : ''}`);
    },
  },
  {
    name: 'cron',
    weight: (w) => (w.workspaces.length > 0 ? 5 : 0),
    async run(w) {
      const sent: SettlementMessage[] = [];
      const capture = {
        send: async (body: SettlementMessage) => void sent.push(body),
        sendBatch: async (messages: Iterable<{ body: SettlementMessage }>) => {
          for (const m of messages) sent.push(m.body);
        },
      } as unknown as Queue<SettlementMessage>;
      // The deployed cron (leaves the hour just closed to the alarms) or the local one by hand (0).
      const lagMs = w.rng.chance(0.6) ? HOUR_MS : 0;
      await runScheduled({ ...(env as unknown as Env), SETTLEMENT_QUEUE: capture }, w.clock.now(), '0 * * * *', lagMs);
      // In the order the run created the workspaces: the cron sends each shard's messages as its
      // query answers, and the shards answer in any order (the same seed must deal each message
      // the same fate).
      const order = new Map(w.workspaces.map((ws) => [ws.workspaceId, ws.index]));
      const mine = sent.filter((m) => order.has(m.workspaceId)).sort((a, b) => order.get(a.workspaceId)! - order.get(b.workspaceId)! || JSON.stringify(a).localeCompare(JSON.stringify(b)));
      const batch: SettlementMessage[] = [];
      for (const m of mine) {
        if (w.rng.chance(0.2)) w.heldMessages.push(m);
        else batch.push(m, ...(w.rng.chance(0.25) ? [m] : []));
      }
      const retried = batch.length > 0 ? await deliverSettlement(w, w.rng.shuffle(batch)) : 0;
      w.note('cron', `lag ${lagMs / HOUR_MS}h: ${mine.length} enqueued, ${batch.length} delivered (${retried} retried), ${mine.length - new Set(batch).size} held`);
      if (retried > 0 && !w.faultArmed) w.observe('answers_as_documented', `settlement messages retried without a fault (${retried})`);
    },
  },
  {
    name: 'late_queue_delivery',
    weight: (w) => (w.heldMessages.length > 0 ? 3 : 0),
    async run(w) {
      const late = w.rng.shuffle(w.heldMessages);
      w.heldMessages = [];
      const retried = await deliverSettlement(w, late);
      w.note('late_queue_delivery', `${late.length} old messages (${retried} retried)`);
      if (retried > 0 && !w.faultArmed) w.observe('answers_as_documented', `late settlement messages retried without a fault (${retried})`);
    },
  },
];
