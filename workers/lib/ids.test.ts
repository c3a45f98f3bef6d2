import { describe, expect, it } from 'vitest';
import { newId, newOrderedId } from './ids';

describe('ids', () => {
  it('newId: prefix, 10 chars of time, 16 random; two in one millisecond differ', () => {
    const a = newId('txn', 1_700_000_000_000);
    const b = newId('txn', 1_700_000_000_000);
    expect(a).toMatch(/^txn_[0-9a-z]{26}$/);
    expect(a.slice(0, 14)).toBe(b.slice(0, 14));
    expect(a).not.toBe(b);
  });

  it('newOrderedId: ids of one millisecond sort in the order they were made', () => {
    const ids = Array.from({ length: 50 }, () => newOrderedId('blk', 1_700_000_000_123));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
    // Another millisecond starts afresh, still after the earlier ones.
    const later = newOrderedId('blk', 1_700_000_000_124);
    expect(later > ids.at(-1)!).toBe(true);
    // Interleaved with another prefix, each prefix's run still restarts from random (no order promised across prefixes).
    expect(newOrderedId('txn', 1_700_000_000_124)).toMatch(/^txn_/);
  });
});
