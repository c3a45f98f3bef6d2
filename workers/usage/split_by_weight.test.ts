import { describe, expect, it } from 'vitest';
import { splitByWeight } from './usage_report';

describe('splitByWeight', () => {
  it('gives whole micros that add up to the total, the largest remainders first', () => {
    expect(splitByWeight(1, [45n, 45n, 45n])).toEqual([1, 0, 0]);
    expect(splitByWeight(10, [1n, 1n, 1n])).toEqual([4, 3, 3]);
    expect(splitByWeight(100, [3n, 1n])).toEqual([75, 25]);
    expect(splitByWeight(7, [0n, 5n, 2n])).toEqual([0, 5, 2]);
    const shares = splitByWeight(987_654_321, [123n, 456n, 789n, 1n]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(987_654_321);
  });

  it('puts a line with nothing to weigh by on the first part', () => {
    expect(splitByWeight(0, [0n, 0n])).toEqual([0, 0]);
    expect(splitByWeight(0, [3n, 4n])).toEqual([0, 0]);
  });
});
