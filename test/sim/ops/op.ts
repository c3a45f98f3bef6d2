import type { World } from '../world';

/**
 * One kind of thing the simulator does. `weight` says how likely it is chosen now (0: not now);
 * `run` does it through the system's real entry points, notes what it did in the trace and
 * reports (world.observe) any answer that breaks a rule. Add an operation: write it in the file of
 * its family (or a new one) and list it in ops/index.ts.
 */
export interface SimOp {
  name: string;
  weight(world: World): number;
  run(world: World): Promise<void>;
}

export const CREDIT = 1_000_000;
export const iso = (ms: number) => new Date(ms).toISOString();
