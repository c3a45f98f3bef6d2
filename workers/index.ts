import { buildApp } from './app';
import type { Env, SettlementMessage } from './env';
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
    await settleBatch(batch, env);
  },
} satisfies ExportedHandler<Env, SettlementMessage>;
