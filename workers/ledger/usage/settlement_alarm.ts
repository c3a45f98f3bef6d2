// When a workspace's ledger object wakes up to settle: shortly after the end of the oldest hour in
// which it holds anything unsettled, at a minute of the next hour of its own, so that the
// platform's objects do not all hit D1 at the top of the hour. A workspace with nothing open is
// never woken by settlement. The hourly cron (run a few minutes later, see wrangler.toml) is the
// backstop for any alarm that did not do its job.
import { MS_PER_HOUR } from '../../usage/exact_cost';
import type { OpenUsage } from '../../usage/open_usage';

/** Alarms spread over 1–6 minutes after the hour. */
export const SETTLEMENT_JITTER_FROM_MS = 60_000;
export const SETTLEMENT_JITTER_SPAN_MS = 5 * 60_000;
/**
 * Never sooner than this from now: an event reported late for an hour that has already ended is
 * not settled within seconds of being reported (the `accumulating` amount stays readable for a
 * while, and a burst of late events is settled in one go).
 */
export const SETTLEMENT_MIN_DELAY_MS = 60_000;
/** After a failed settlement the alarm comes back after 30 s, 1 min, 2 min … up to 30 min. */
const RETRY_FIRST_MS = 30_000;
const RETRY_MAX_MS = 30 * 60_000;

/** The workspace's own offset into the next hour: stable (FNV-1a of its id), so retries and rebuilds agree. */
export function settlementJitterMs(workspaceId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < workspaceId.length; i++) {
    hash ^= workspaceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return SETTLEMENT_JITTER_FROM_MS + (hash % SETTLEMENT_JITTER_SPAN_MS);
}

/** When the object should settle next (null: nothing open, no settlement alarm). */
export function settlementDueMs(open: OpenUsage, workspaceId: string, nowMs: number): number | null {
  const oldestHourMs = open.oldestBillableHourMs();
  if (oldestHourMs === null) return null;
  return Math.max(oldestHourMs + MS_PER_HOUR + settlementJitterMs(workspaceId), nowMs + SETTLEMENT_MIN_DELAY_MS);
}

/**
 * The settlement half of the object's one alarm: when it is due, and the backoff after failures
 * (kept in memory: a rebuilt object starts again at the due time, and the cron covers meanwhile).
 */
export class SettlementSchedule {
  private failures = 0;
  private retryNotBeforeMs = 0;

  dueMs(open: OpenUsage, workspaceId: string, nowMs: number): number | null {
    const due = settlementDueMs(open, workspaceId, nowMs);
    return due === null ? null : Math.max(due, this.retryNotBeforeMs);
  }

  succeeded(): void {
    this.failures = 0;
    this.retryNotBeforeMs = 0;
  }

  /** Answers when to try again. */
  failed(nowMs: number): number {
    this.retryNotBeforeMs = nowMs + Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.failures);
    this.failures += 1;
    return this.retryNotBeforeMs;
  }
}
