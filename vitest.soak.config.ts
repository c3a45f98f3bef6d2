import { defineConfig, mergeConfig, type UserConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run soak` (scripts/soak.mjs): the same Workers runtime, bindings and setup as `npm test`,
// running only the simulator's soak file with the seeds and steps the CLI passes in the environment.
export default defineConfig(async (configEnv) => {
  const merged = mergeConfig(await (base as (env: typeof configEnv) => Promise<UserConfig>)(configEnv), {
    test: {
      provide: {
        simSoak: {
          firstSeed: Number(process.env.SIM_FIRST_SEED ?? 1),
          seeds: Number(process.env.SIM_SEEDS ?? 1),
          steps: Number(process.env.SIM_STEPS ?? 500),
          breakRule: process.env.SIM_BREAK || null,
          traceLength: Number(process.env.SIM_TRACE ?? 25),
          d1FaultChance: Number(process.env.SIM_D1_FAULTS ?? 0.06),
          regionShare: Number(process.env.SIM_REGIONS ?? 0.35),
          fullTrace: process.env.SIM_FULL_TRACE === '1',
        },
      },
      testTimeout: 0,
      hookTimeout: 0,
    },
  });
  // Only the soak file (mergeConfig would append to the usual include).
  merged.test!.include = ['test/sim/soak.run.ts'];
  return merged;
});
