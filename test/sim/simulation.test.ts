// The seeded simulator's short run inside `npm test` (the long ones: `npm run soak`,
// docs/simulation.md): a few seeds with every operation and fault and no violation (one of them aimed
// at the regions), and the same seed twice gives the same final state.
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

  it('seed 3, aimed at the regions, runs its steps without a violation', async () => {
    const result = await simulate({ seed: 3, steps: 40, regionShare: 0.5, focus: { region_burst: 4, leases_return: 3, region_evict: 2 } });
    if (result.violation) throw new Error(formatViolation(result.violation));
    expect(result.decidedInRegions).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('the same seed twice gives the same final state (digest), with far regions in it', async () => {
    // The soak's share of far calls: leases, regional alarms and hold-id registries telling each
    // other all run on the simulated clock, so they replay too.
    const first = await simulate({ seed: 7, steps: 40, regionShare: 0.35 });
    const second = await simulate({ seed: 7, steps: 40, regionShare: 0.35 });
    if (first.violation) throw new Error(formatViolation(first.violation));
    expect(second.opCounts).toEqual(first.opCounts);
    expect(second.digest).toBe(first.digest);
    expect(first.decidedInRegions).toBeGreaterThan(0);
    // And another seed another state.
    const other = await simulate({ seed: 8, steps: 40, regionShare: 0.35 });
    expect(other.digest).not.toBe(first.digest);
  }, 120_000);
});
