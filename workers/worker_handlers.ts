import type { Router } from './routes/router';
import type { Env, NotificationMessage, SettlementMessage } from './env';
import { deliverEvents } from './notifications/deliver_events';
import { runScheduled } from './settlement/run_scheduled';
import { MS_PER_HOUR } from './usage/exact_cost';
import { settleBatch } from './settlement/settle_queue';
import { enableSimHooks } from './lib/sim_hooks';

/**
 * The Worker's handlers around an app: the deployed entry (index.ts) passes buildApp(); the
 * benchmark's own entry (bench/bench_worker.ts) the same app with its floor routes added, so that
 * what `npm run deploy` bundles never contains them.
 */
export function workerFor(app: Router) {
  return {
    fetch(request, env, ctx) {
      // Test-only switches (lib/sim_hooks.ts): a no-op unless the test-only binding SIM_HOOKS is set.
      enableSimHooks(env);
      return app.fetch(request, env, ctx);
    },
    // Awaited, not waitUntil: the cron only counts as done once every message is enqueued. The
    // backstop: the hour that has just closed is left to the ledger objects' own alarms.
    async scheduled(controller, env, _ctx) {
      await runScheduled(env, controller.scheduledTime, controller.cron, MS_PER_HOUR);
    },
    async queue(batch, env, _ctx) {
      if (batch.queue.startsWith('burnrate-notifications')) await deliverEvents(batch as MessageBatch<NotificationMessage>, env);
      else await settleBatch(batch as MessageBatch<SettlementMessage>, env);
    },
  } satisfies ExportedHandler<Env, SettlementMessage | NotificationMessage>;
}
