import type { Env } from '../env';
import { hourOf } from './exact_cost';

const MS_PER_DAY = 86_400_000;
export const DEFAULT_RETENTION_DAYS = 35;

/**
 * How long usage event ids are remembered (USAGE_EVENT_RETENTION_DAYS, default 35): inside the
 * window an id is deduplicated exactly; an event older than it is refused, so an id that has been
 * pruned can never be counted twice.
 */
export function retentionDays(env: Pick<Env, 'USAGE_EVENT_RETENTION_DAYS'>): number {
  const days = Number(env.USAGE_EVENT_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
  return Number.isFinite(days) && days >= 1 ? Math.floor(days) : DEFAULT_RETENTION_DAYS;
}

/** Events that occurred before this instant are outside the window. */
export function retentionCutoffMs(env: Pick<Env, 'USAGE_EVENT_RETENTION_DAYS'>, nowMs: number): number {
  return nowMs - retentionDays(env) * MS_PER_DAY;
}

/**
 * Stored events of hours before this may be deleted: those hours are settled (so archived), and
 * every event billed in them occurred before the cutoff (an event is billed in its own hour or a
 * later one), so a resend of any of them is refused as too old.
 */
export function pruneBeforeHourMs(env: Pick<Env, 'USAGE_EVENT_RETENTION_DAYS'>, nowMs: number, settledThroughMs: number): number {
  return Math.min(settledThroughMs, hourOf(retentionCutoffMs(env, nowMs)));
}
