import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';
import { hourOf } from '../usage/exact_cost';
import { iso } from '../lib/time';
import { runScheduled } from './run_scheduled';

/**
 * Local cron by hand: GET /__scheduled?cron=0+*+*+*+*&time=<epoch ms>. wrangler's own
 * --test-scheduled middleware answers this path but drops `time` (the cron then always runs at the
 * wall clock), so `npm start` serves it from here instead, with the scheduled time honoured.
 * Exists only when LOCAL_SCHEDULED_ROUTE=enabled, which only `npm start` sets: a deployed Worker
 * must not let anyone pick the time settlement runs at. A `time` in the future is refused: it would
 * settle hours that have not happened yet (an instance running now billed to the end of its hour).
 * Only the benchmark's own servers (BENCH_ROUTES=enabled, never `npm start`) may move the cron
 * ahead: that is how bench/settlement.mjs gives thousands of workspaces closed hours at once.
 */
export const localScheduledRoute = new Hono<AppEnv>();

localScheduledRoute.get('/', async (c) => {
  if (c.env.LOCAL_SCHEDULED_ROUTE !== 'enabled') throw new ApiError('not_found', 'No such route.');
  const timeParam = c.req.query('time');
  if (timeParam !== undefined && !/^\d{1,16}$/.test(timeParam)) throw new ApiError('invalid_request', 'time: must be epoch milliseconds');
  const nowMs = Date.now();
  const scheduledTimeMs = timeParam === undefined ? nowMs : Number(timeParam);
  if (scheduledTimeMs > nowMs && c.env.BENCH_ROUTES !== 'enabled') {
    throw new ApiError('invalid_request', `time: ${scheduledTimeMs} is in the future (now ${nowMs}, ${iso(nowMs)}); only hours that have ended can be settled.`);
  }
  const cron = c.req.query('cron') ?? '0 * * * *';
  const enqueued = await runScheduled(c.env, scheduledTimeMs, cron);
  return c.text(`Ran scheduled event: settlement of hours before ${iso(hourOf(scheduledTimeMs))} enqueued for ${enqueued} workspace(s)\n`);
});
