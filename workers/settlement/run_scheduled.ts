import type { Env } from '../env';
import { sweepOutbox } from '../notifications/sweep_outbox';
import { enqueueSettlement } from './enqueue_settlement';

/** What the hourly cron does, whoever fires it (Cloudflare's scheduler or the local route). */
export async function runScheduled(env: Env, scheduledTimeMs: number, cron: string): Promise<number> {
  const enqueued = await enqueueSettlement(env, scheduledTimeMs);
  const resent = await sweepOutbox(env, Date.now());
  console.log(JSON.stringify({ level: 'info', msg: 'settlement enqueued', cron, scheduledTime: scheduledTimeMs, enqueued, notificationsResent: resent }));
  return enqueued;
}
