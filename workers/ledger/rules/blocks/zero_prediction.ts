// When the balance reaches zero, counting the scheduled expiries of credit blocks as well as the burn
// (CONTRACT.md: hoursRemaining and the zero-crossing prediction count them). The burn draws on the
// blocks in burn-down order, so an expiring block loses at its expiresAt only what the burn has not
// taken from it by then. A prediction for people and alarms, not money: times may round.
import type { CreditBlock } from './credit_block';

const MS_PER_HOUR = 3_600_000;

/**
 * The instant the balance reaches 0 at `rateMicrosPerHour`, after `accumulatingMicros` of open usage
 * (drawn first, in burn-down order); null when nothing brings it to 0. `blocks` in burn-down order.
 */
export function predictZeroAtMs(blocks: readonly CreditBlock[], accumulatingMicros: number, rateMicrosPerHour: number, nowMs: number): number | null {
  const left = blocks.map((b) => b.remainingMicros);
  let total = left.reduce((s, m) => s + m, 0);
  let front = 0;
  const consume = (micros: number) => {
    let rest = Math.min(micros, total);
    total -= rest;
    while (rest > 0 && front < left.length) {
      const part = Math.min(rest, left[front]!);
      left[front]! -= part;
      rest -= part;
      if (left[front] === 0) front++;
    }
  };
  consume(accumulatingMicros);
  if (total <= 0) return nowMs;
  const expiring = blocks
    .map((b, i) => ({ atMs: b.expiresAtMs, i }))
    .filter((e): e is { atMs: number; i: number } => e.atMs !== null)
    .sort((a, b) => a.atMs - b.atMs);
  let t = nowMs;
  for (const e of expiring) {
    const atMs = Math.max(e.atMs, t);
    if (rateMicrosPerHour > 0) {
      const zeroAtMs = t + Math.ceil((total * MS_PER_HOUR) / rateMicrosPerHour);
      if (zeroAtMs <= atMs) return zeroAtMs;
      consume(Math.floor((rateMicrosPerHour * (atMs - t)) / MS_PER_HOUR));
    }
    t = atMs;
    total -= left[e.i]!;
    left[e.i] = 0;
    if (total <= 0) return t;
  }
  return rateMicrosPerHour > 0 ? t + Math.ceil((total * MS_PER_HOUR) / rateMicrosPerHour) : null;
}

/** Hours until zero (two decimals, rounded down) counting expiries; null when nothing brings it to 0. */
export function hoursUntilZero(blocks: readonly CreditBlock[], accumulatingMicros: number, rateMicrosPerHour: number, nowMs: number): number | null {
  const atMs = predictZeroAtMs(blocks, accumulatingMicros, rateMicrosPerHour, nowMs);
  return atMs === null ? null : Math.floor(((atMs - nowMs) / MS_PER_HOUR) * 100) / 100;
}
