import type { Env } from '../env';
import { sweepOutbox } from '../notifications/sweep_outbox';
import { reconcileWithStripe } from '../stripe/reconcile';
import { enqueueSettlement } from './enqueue_settlement';

/**
 * What the hourly cron does, whoever fires it: Cloudflare's scheduler (`backstopLagMs` one hour:
 * the hour that has just closed is the alarms' to settle) or the local route (0: every closed hour
 * before the scheduled time, at once).
 */
export async function runScheduled(env: Env, scheduledTimeMs: number, cron: string, backstopLagMs = 0): Promise<number> {
  const enqueued = await enqueueSettlement(env, scheduledTimeMs, backstopLagMs);
  const resent = await sweepOutbox(env, Date.now());
  console.log(JSON.stringify({ level: 'info', msg: 'settlement enqueued', cron, scheduledTime: scheduledTimeMs, enqueued, notificationsResent: resent }));
  // After settlement is safely enqueued: reconciliation with Stripe, hourly. Its failure (Stripe
  // down or not configured) must not fail the cron; the next hour runs it again from its cursor.
  if (env.STRIPE_SECRET_KEY || env.STRIPE_EMULATOR_URL) {
    await reconcileWithStripe(env).catch((error: unknown) =>
      console.error(JSON.stringify({ level: 'error', msg: 'stripe reconciliation failed; the next hourly run retries', error: String(error) })),
    );
  }
  return enqueued;
}
