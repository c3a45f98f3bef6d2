// The seeded simulator of the money paths (docs/simulation.md): one seed chooses every operation,
// fault and instant of a run against the real Worker and ledger objects; after every step the
// invariants are checked, and the first violation stops the run with the seed, the step and the
// last operations that led to it.
import type { SimBreakRule, SimControl } from '../../workers/lib/sim_hooks';
import { internal } from '../helpers/api';
import { EMULATOR } from '../stripe/stripe_helpers';
import { SimClock } from './clock';
import { digestOf, finalStateOf } from './digest';
import { firstViolation } from './invariants';
import { OPS } from './ops';
import { armD1Fault, armPaymentFault, disarmFaults } from './ops/faults';
import { Prng } from './prng';
import { advanceClock } from './regions';
import { windDownRegions } from './ops/regions';
import { newRunNumber, World, type TraceEntry } from './world';

export interface SimOptions {
  seed: number;
  steps: number;
  /** A rule broken on purpose (workers/lib/sim_hooks.ts), to prove the invariants catch it. */
  breakRule?: SimBreakRule | null;
  /** How many of the last operations a violation shows (default 25). */
  traceLength?: number;
  /** Weights multiplied per operation name, to aim a short run at some paths (the broken-rule tests). */
  focus?: Record<string, number>;
  /** Each step, the chance that D1 faults are armed for its operation (default 0.06). */
  d1FaultChance?: number;
  /**
   * The chance that a deduction, hold, capture, release or credit check is called from a far region
   * (default 0.15: the short run in `npm test`; `npm run soak` asks for more). 0: no region at all.
   */
  regionShare?: number;
  /** Note every workspace's state after each step (for `--trace-out`). */
  stateTrace?: boolean;
  /**
   * Stripe's emulator dated on the simulated clock (POST /__emulator/clock) and faults at the card
   * network armed (ops/faults.ts armPaymentFault). Only where the run has the emulator to itself
   * (`npm run soak`: one seed per process): in `npm test` other files share it. Without it, Stripe
   * keeps the wall clock, which lags the simulated one by up to a month and more, and reconciliation
   * cannot find a payment whose deposit a fault left pending (it looks a day around the deposit).
   */
  stripeOnSimClock?: boolean;
}

export interface SimViolation {
  seed: number;
  step: number;
  invariant: string;
  detail: string;
  trace: TraceEntry[];
}

export interface SimResult {
  seed: number;
  steps: number;
  violation: SimViolation | null;
  /** The final state's hash (null after a violation). */
  digest: string | null;
  /** How often each operation ran. */
  opCounts: Record<string, number>;
  /** How many calls a far region decided itself (from its lease), as the answers said. */
  decidedInRegions: number;
  /** The run's workspaces, in the order it created them. */
  workspaceIds: string[];
  /** Everything the run did, step by step (what a violation shows the end of). */
  trace: TraceEntry[];
  /** What the digest hashes, when the options asked for the state trace. */
  finalState?: unknown[];
}

/** Each step, the chance that D1 faults are armed for its operation, unless the options say otherwise. */
const D1_FAULT_CHANCE = 0.06;
/** Per operation, the chance that a fault at the card network is armed for it (ops/faults.ts armPaymentFault). */
const PAYMENT_FAULT_CHANCE: Record<string, number> = { saved_card_topup: 0.5, deduction: 0.05, usage_events: 0.05, alarm: 0.05, cron: 0.05, capture_hold: 0.05 };
/** The share of calls from far regions, unless the options say otherwise. */
export const REGION_SHARE = 0.15;

export async function simulate(options: SimOptions): Promise<SimResult> {
  newRunNumber();
  const rng = new Prng(options.seed);
  const paymentRng = new Prng(options.seed ^ 0x5eed_cafe);
  const clock = new SimClock();
  const control: SimControl = { break: options.breakRule ?? null, d1: { failNext: 0, delayMs: 0, evictAt: 0 } };
  const world = new World(options.seed, rng, clock, control);
  world.regionShare = options.regionShare ?? REGION_SHARE;
  world.focus = options.focus ?? {};
  world.stateTrace = options.stateTrace ?? false;
  const opCounts: Record<string, number> = {};
  const globals = globalThis as { __burnrateSim?: SimControl };
  // One reconciliation on the wall clock first. Its event cursor then comes from Stripe's own
  // timestamps: a first run that lists no event stores the Worker's clock as its cursor, and the
  // simulated clock runs hours ahead of the emulator's, so every later run would list nothing
  // (found by seed 201 with --d1-faults 0.3; docs/simulation.md, "What it found").
  const first = await internal('POST', '/internal/v1/stripe/reconcile');
  if (first.status !== 200) throw new Error(`reconciliation before the run answered ${first.status}`);
  globals.__burnrateSim = control;
  clock.install();
  try {
    for (let step = 1; step <= options.steps; step++) {
      world.step = step;
      await advanceClock(world, rng.int(0, 240) * 1_000);
      world.stepStartMs = clock.now();
      if (options.stripeOnSimClock) await setStripeClock(clock.now());
      const op = rng.weighted(
        OPS.filter((o) => o.weight(world) > 0),
        (o) => o.weight(world) * (options.focus?.[o.name] ?? 1),
      );
      if (op.name !== 'clock_jump' && rng.chance(options.d1FaultChance ?? D1_FAULT_CHANCE)) world.note('d1_fault', armD1Fault(world));
      // Mostly where a saved card is charged: top-ups, and spends that may set off an auto-recharge.
      // (Drawn from a stream of their own, so that adding them left every other draw of a seed as it was.)
      const paymentFault = paymentRng.chance(PAYMENT_FAULT_CHANCE[op.name] ?? 0) && !world.faultArmed && Boolean(options.stripeOnSimClock);
      if (paymentFault) world.note('payment_fault', armPaymentFault(world, paymentRng));
      opCounts[op.name] = (opCounts[op.name] ?? 0) + 1;
      try {
        await op.run(world);
      } catch (error) {
        if (!world.faultArmed) world.observe('answers_as_documented', `${op.name} threw: ${String(error)}`);
        else world.note(op.name, `threw under the fault: ${String(error).slice(0, 200)}`);
      } finally {
        const p = world.control.payments;
        if (paymentFault && !p?.answerLost && !p?.evictAfterCharge && !p?.evictBeforeCharge) world.note('payment_fault', 'struck a saved-card payment');
        disarmFaults(world);
      }
      const violation = await firstViolation(world);
      if (violation) {
        const trace = world.trace.slice(-(options.traceLength ?? 25));
        return { seed: options.seed, steps: step, violation: { seed: options.seed, step, ...violation, trace }, digest: null, opCounts, decidedInRegions: decidedInRegions(world), workspaceIds: idsOf(world), trace: world.trace };
      }
    }
    // The run ends with every lease returned (checked like a step, reported as the last one).
    world.note('wind_down', 'the clock past every regional hold, every lease returned');
    await windDownRegions(world);
    const violation = await firstViolation(world);
    if (violation) {
      const step = options.steps;
      return { seed: options.seed, steps: step, violation: { seed: options.seed, step, ...violation, trace: world.trace.slice(-(options.traceLength ?? 25)) }, digest: null, opCounts, decidedInRegions: decidedInRegions(world), workspaceIds: idsOf(world), trace: world.trace };
    }
    const finalState = world.stateTrace ? await finalStateOf(world) : undefined;
    return { seed: options.seed, steps: options.steps, violation: null, digest: await digestOf(world), finalState, opCounts, decidedInRegions: decidedInRegions(world), workspaceIds: idsOf(world), trace: world.trace };
  } finally {
    disarmFaults(world);
    if (options.stripeOnSimClock) await setStripeClock(null);
    clock.uninstall();
    delete globals.__burnrateSim;
  }
}

/** Stripe's emulator dated at `ms` from now on (null: the wall clock again). */
async function setStripeClock(ms: number | null): Promise<void> {
  const res = await fetch(`${EMULATOR}/__emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nowMs: ms }) });
  if (res.status !== 200) throw new Error(`the emulator's clock answered ${res.status}`);
}

const idsOf = (w: World) => w.workspaces.map((ws) => ws.workspaceId);
/** The trace notes `→ <status> in <region>` for every answer a far region decided. */
const decidedInRegions = (w: World) => w.trace.filter((t) => /→ \d{3}( \S+)? in (weur|apac|wnam)\b/.test(t.detail)).length;

/** A violation as the CLI and the tests print it: seed, step, invariant, and the trace that led there. */
export function formatViolation(v: SimViolation): string {
  const trace = v.trace.map((t) => `  #${t.step} ${t.at} ${t.op}: ${t.detail}`).join('\n');
  return `VIOLATION seed ${v.seed} step ${v.step}: ${v.invariant}: ${v.detail}\nlast operations:\n${trace}\nreplay: npm run soak -- --seed ${v.seed} --steps ${v.step}`;
}
