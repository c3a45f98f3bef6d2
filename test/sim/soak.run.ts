// `npm run soak` runs this file alone (vitest.soak.config.ts; `npm test` never includes it): the
// seeds and steps the CLI asked for, one line `SIM {json}` per seed for scripts/soak.mjs to read.
// scripts/soak.mjs starts one vitest run per seed, so that each seed starts from clean storage.
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
  /** Print every step of every seed (`--trace-out`), not only a violation's last ones. */
  fullTrace: boolean;
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
    const result = await simulate({ seed, steps: options.steps, breakRule: options.breakRule, traceLength: options.traceLength, d1FaultChance: options.d1FaultChance, regionShare: options.regionShare, stateTrace: options.fullTrace, stripeOnSimClock: true });
    const line = {
      seed,
      steps: result.steps,
      ms: Math.round(performance.now() - startedAt),
      digest: result.digest,
      violation: result.violation ? { step: result.violation.step, invariant: result.violation.invariant, detail: result.violation.detail, text: formatViolation(result.violation) } : null,
      opCounts: result.opCounts,
      decidedInRegions: result.decidedInRegions,
    };
    if (options.fullTrace) for (const t of result.trace) console.log(`SIMTRACE seed ${seed} #${t.step} ${t.at} ${t.op}: ${t.detail.replace(/\n/g, ' ')}`);
    if (options.fullTrace) for (const [i, part] of (result.finalState ?? []).entries()) console.log(`SIMTRACE seed ${seed} final ws${i}: ${JSON.stringify(part)}`);
    console.log(`SIM ${JSON.stringify(line)}`);
    // A run that broke a rule leaves its damage: keep the after-file ledger check to the others.
    if (result.violation) await forgetWorkspaces(result.workspaceIds);
  }
});
