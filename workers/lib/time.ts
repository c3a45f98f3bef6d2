export const iso = (ms: number): string => new Date(ms).toISOString();

/** How far ahead of our clock a reported time may be (the platform's clock may run ahead). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export const isInFuture = (ms: number, nowMs: number = Date.now()): boolean => ms > nowMs + MAX_FUTURE_SKEW_MS;
