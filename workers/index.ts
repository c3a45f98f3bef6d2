import { buildApp } from './app';
import type { Env, SettlementMessage } from './env';
import { enqueueSettlement } from './settlement/enqueue_settlement';
import { settleBatch } from './settlement/settle_queue';

export { WorkspaceLedger } from './ledger/workspace_ledger';

const app = buildApp();

export default {
  fetch: app.fetch,
  // Awaited, not waitUntil: the cron only counts as done once every message is enqueued.
  async scheduled(controller, env, _ctx) {
    const enqueued = await enqueueSettlement(env, controller.scheduledTime);
    console.log(JSON.stringify({ level: 'info', msg: 'settlement enqueued', cron: controller.cron, scheduledTime: controller.scheduledTime, enqueued }));
  },
  async queue(batch, env, _ctx) {
    await settleBatch(batch, env);
  },
} satisfies ExportedHandler<Env, SettlementMessage>;
