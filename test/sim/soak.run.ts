// `npm run soak` runs this file alone (vitest.soak.config.ts; `npm test` never includes it): the
// seeds and steps the CLI asked for, one line `SIM {json}` per seed for scripts/soak.mjs to read.
import { inject, it } from 'vitest';
import type { SimBreakRule } from '../../workers/lib/sim_hooks';
import { formatViolation, simulate } from './simulate';
import { forgetWorkspaces } from './sim_helpers';

interface SoakOptions {
  firstSeed: number;
  seeds: number;
  steps: number;
  breakRule: SimBreakRule | null;
  traceLength: number;
  d1FaultChance: number;
  regionShare: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    simSoak: SoakOptions;
  }
}

it('soak', async () => {
  const options = inject('simSoak');
  for (let seed = options.firstSeed; seed < options.firstSeed + options.seeds; seed++) {
    const startedAt = performance.now();
    const result = await simulate({ seed, steps: options.steps, breakRule: options.breakRule, traceLength: options.traceLength, d1FaultChance: options.d1FaultChance, regionShare: options.regionShare });
    const line = {
      seed,
      steps: result.steps,
      ms: Math.round(performance.now() - startedAt),
      digest: result.digest,
      violation: result.violation ? { step: result.violation.step, invariant: result.violation.invariant, detail: result.violation.detail, text: formatViolation(result.violation) + sharedStorageNote(options, seed) } : null,
      opCounts: result.opCounts,
      decidedInRegions: result.decidedInRegions,
    };
    console.log(`SIM ${JSON.stringify(line)}`);
    // A run that broke a rule leaves its damage: keep the after-file ledger check to the others.
    if (result.violation) await forgetWorkspaces(result.workspaceIds);
  }
});

/**
 * The seeds of one run share its storage (one test): a seed after the first met what the earlier
 * ones left (their workspaces in every shard's sweeps, the hold-id registries), so the exact replay
 * is the run up to it; `--seed N` replays the seed on fresh storage.
 */
function sharedStorageNote(options: SoakOptions, seed: number): string {
  if (seed === options.firstSeed) return '';
  return `\nthis seed ran after seeds ${options.firstSeed}-${seed - 1} in the same storage; the run up to it replays with: npm run soak -- --first-seed ${options.firstSeed} --seeds ${seed - options.firstSeed + 1} --steps ${options.steps}`;
}
