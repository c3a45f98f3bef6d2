// The burn-down order (CONTRACT.md, "Credit blocks"): every debit takes from the blocks in this
// order. Lower priority first; then the soonest expiry (never-expiring last); then promotional before
// paid; then the oldest first. Ties beyond that (blocks made in the same millisecond) go by id, so
// the order is total and every reader of it agrees.
import type { CreditBlock } from './credit_block';

const categoryRank = (block: CreditBlock): number => (block.category === 'promotional' ? 0 : 1);

export function burnDownOrder(a: CreditBlock, b: CreditBlock): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.expiresAtMs !== b.expiresAtMs) {
    if (a.expiresAtMs === null) return 1;
    if (b.expiresAtMs === null) return -1;
    return a.expiresAtMs - b.expiresAtMs;
  }
  if (a.category !== b.category) return categoryRank(a) - categoryRank(b);
  if (a.createdAtMs !== b.createdAtMs) return a.createdAtMs - b.createdAtMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Where `block` goes in `sorted` (burn-down order) to keep it sorted: binary search. */
export function insertionIndex(sorted: readonly CreditBlock[], block: CreditBlock): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (burnDownOrder(sorted[mid]!, block) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
