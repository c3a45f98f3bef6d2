import { buildApp } from './app';
import type { Env, NotificationMessage, SettlementMessage } from './env';
import { deliverEvents } from './notifications/deliver_events';
import { runScheduled } from './settlement/run_scheduled';
import { settleBatch } from './settlement/settle_queue';

export { WorkspaceLedger } from './ledger/workspace_ledger';

const app = buildApp();

export default {
  fetch: app.fetch,
  // Awaited, not waitUntil: the cron only counts as done once every message is enqueued.
  async scheduled(controller, env, _ctx) {
    await runScheduled(env, controller.scheduledTime, controller.cron);
  },
  async queue(batch, env, _ctx) {
    if (batch.queue.startsWith('burnrate-notifications')) await deliverEvents(batch as MessageBatch<NotificationMessage>, env);
    else await settleBatch(batch as MessageBatch<SettlementMessage>, env);
  },
} satisfies ExportedHandler<Env, SettlementMessage | NotificationMessage>;
