// The seeded simulator's short run inside `npm test` (the long ones: `npm run soak`,
// docs/simulation.md): a few seeds with every operation and fault and no violation, and the same
// seed twice gives the same final state.
import { describe, expect, it } from 'vitest';
import { formatViolation, simulate } from './simulate';

const STEPS = 60;

describe('seeded simulation of the money paths', () => {
  it.each([1, 2])('seed %i runs its steps without a violation', async (seed) => {
    const result = await simulate({ seed, steps: STEPS });
    if (result.violation) throw new Error(formatViolation(result.violation));
    expect(result.steps).toBe(STEPS);
    expect(result.digest).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  it('the same seed twice gives the same final state (digest)', async () => {
    const first = await simulate({ seed: 7, steps: 40 });
    const second = await simulate({ seed: 7, steps: 40 });
    if (first.violation) throw new Error(formatViolation(first.violation));
    expect(second.opCounts).toEqual(first.opCounts);
    expect(second.digest).toBe(first.digest);
    // And another seed another state.
    const other = await simulate({ seed: 8, steps: 40 });
    expect(other.digest).not.toBe(first.digest);
  }, 120_000);
});
