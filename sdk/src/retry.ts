// When and how long to wait before trying a request again. Only failures that say nothing about
// whether the request took effect, or that say "later", are retried; every retry re-sends the same
// idempotency key (header or body id), so a request that did take effect is answered with its
// original result instead of being applied twice.

/** 429 (slow down) and the gateway family (no or partial answer from upstream: Stripe, a proxy). */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

export const isRetryableStatus = (status: number) => RETRYABLE_STATUSES.has(status);

/** Returns how long to wait before retry number `retry` (1 for the first retry). */
export type RetryDelay = (retry: number) => number;

const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8_000;

/** Exponential backoff with full jitter, so many clients that failed together do not retry together. */
export const defaultRetryDelayMs: RetryDelay = (retry) => Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (retry - 1));

/** The server's Retry-After (seconds or an HTTP date) in ms, capped; null when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - nowMs;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_DELAY_MS * 4) : null;
}

export const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
