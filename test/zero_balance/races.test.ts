// Seeded races between a deposit (a positive adjustment) and a deduction of exactly the spendable
// balance, each in its own workspace with a running instance. Whichever commits first decides:
// deduction first -> the balance touches 0 -> the instance is terminated (once, announced once)
// before the deposit lands; deposit first -> the balance never reaches 0 -> the instance runs on.
//
// Race count: VITE_ZERO_BALANCE_RACES (default below), seed: VITE_ZERO_BALANCE_SEED.
import { beforeAll, describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';
import { creditCheck } from './zero_balance_helpers';
import { projected, rowsInAllShards } from '../helpers/ledger_checks';

const viteEnv = (import.meta as unknown as { env?: Record<string, string | undefined> }).env ?? {};
const RACES = Number(viteEnv.VITE_ZERO_BALANCE_RACES ?? 1_000);
const SEED = Number(viteEnv.VITE_ZERO_BALANCE_SEED ?? 0x5eed_2026);
const PARALLEL = Number(viteEnv.VITE_ZERO_BALANCE_PARALLEL ?? 25);

// A cheap instance type, added for this file only (storage is isolated per test file): at 10 micros
// per hour its runtime rounds to 0 micros for its first 3 minutes, so the spendable balance read
// just before the race is still exactly the spendable balance when the deduction lands. (Not 1/h:
// a zero crossing predicted beyond ~2262 makes setAlarm throw; see predicted_termination.)
const NANO = 'race-nano';
const NANO_PER_HOUR = 10;

/** mulberry32: a small, well-mixed 32-bit PRNG, reproducible from its seed. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface RacePlan {
  index: number;
  grantMicros: number; // X
  depositMicros: number; // Y
  depositSentFirst: boolean;
  drainAfter: boolean; // afterwards, also deduct what is left (to zero)
}

interface RaceRun extends RacePlan {
  workspaceId: string;
  instanceId: string;
  deductionStatus: number;
  depositStatus: number;
  drainStatus: number | null;
}

const rng = mulberry32(SEED);
const plans: RacePlan[] = Array.from({ length: RACES }, (_, index) => ({
  index,
  grantMicros: 1 + Math.floor(rng() * 5_000_000),
  depositMicros: 1 + Math.floor(rng() * 5_000_000),
  depositSentFirst: rng() < 0.5,
  drainAfter: rng() < 0.1,
}));

async function runRace(plan: RacePlan): Promise<RaceRun> {
  const ws = await createWorkspace(`Race ${plan.index}`);
  const workspaceId = ws.workspaceId;
  const instanceId = `res_race_${plan.index}`;
  const granted = await internal('POST', '/internal/v1/adjustments', { id: `race-${plan.index}-grant`, workspaceId, amountMicros: plan.grantMicros, description: 'Grant' });
  expect(granted.status).toBe(201);
  const started = await internal('POST', '/internal/v1/resources', { id: instanceId, workspaceId, kind: 'instance', instanceType: NANO });
  expect(started.status, JSON.stringify(started.body)).toBe(201);

  // The spendable balance at this moment: the deduction takes exactly that.
  const spendable = (await creditCheck(workspaceId, 0)).balanceMicros;
  expect(spendable).toBe(plan.grantMicros);

  const deposit = () =>
    internal('POST', '/internal/v1/adjustments', { id: `race-${plan.index}-deposit`, workspaceId, amountMicros: plan.depositMicros, description: 'Deposit' });
  const deduction = () => internal('POST', '/internal/v1/deductions', { id: `race-${plan.index}-deduct`, workspaceId, amountMicros: spendable, description: 'Deduction to zero' });
  let depositRes, deductionRes;
  if (plan.depositSentFirst) {
    const d = deposit();
    const x = deduction();
    [depositRes, deductionRes] = await Promise.all([d, x]);
  } else {
    const x = deduction();
    const d = deposit();
    [deductionRes, depositRes] = await Promise.all([x, d]);
  }

  let drainStatus: number | null = null;
  if (plan.drainAfter) {
    const left = (await creditCheck(workspaceId, 0)).balanceMicros;
    drainStatus = (await internal('POST', '/internal/v1/deductions', { id: `race-${plan.index}-drain`, workspaceId, amountMicros: left, description: 'Drain' })).status;
  }
  return { ...plan, workspaceId, instanceId, deductionStatus: deductionRes.status, depositStatus: depositRes.status, drainStatus };
}

interface TxnRow {
  workspace_id: string;
  idempotency_key: string;
  seq: number;
  amount_micros: number;
  balance_after_micros: number;
  created_at_ms: number;
}

describe(`${RACES} seeded races between a deposit and a deduction to zero (seed ${SEED})`, () => {
  beforeAll(async () => {
    const current = await internal('GET', '/internal/v1/pricing');
    expect(current.status).toBe(200);
    const { models, instanceTypes, storage, toolExecution } = current.body;
    const put = await internal('PUT', '/internal/v1/pricing', {
      models,
      instanceTypes: [...instanceTypes, { instanceType: NANO, microsPerHour: NANO_PER_HOUR }],
      storage,
      toolExecution,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
  });

  it(
    'no workspace with a positive balance is terminated, none at zero keeps running, each termination is notified once',
    async () => {
      const t0 = Date.now();
      const runs: RaceRun[] = [];
      for (let i = 0; i < plans.length; i += PARALLEL) runs.push(...(await Promise.all(plans.slice(i, i + PARALLEL).map(runRace))));
      const raceMs = Date.now() - t0;

      // Everything, read back in bulk (this file's database holds only these workspaces), once D1
      // holds every entry the ledger objects answered (deductions reach it behind their answers).
      await Promise.all(runs.map((run) => projected(run.workspaceId)));
      const txns = await rowsInAllShards<TxnRow>(`SELECT workspace_id, idempotency_key, seq, amount_micros, balance_after_micros, created_at_ms FROM transactions WHERE status = 'completed'`);
      const byKey = new Map(txns.map((t) => [`${t.workspace_id}/${t.idempotency_key}`, t]));
      const balances = new Map(
        (await rowsInAllShards<{ workspace_id: string; balance_micros: number }>('SELECT workspace_id, balance_micros FROM balances')).map((r) => [r.workspace_id, r.balance_micros]),
      );
      const resources = new Map(
        (await rowsInAllShards<{ id: string; stopped_at_ms: number | null; stop_reason: string | null }>('SELECT id, stopped_at_ms, stop_reason FROM resources')).map((r) => [r.id, r]),
      );
      const events = await rowsInAllShards<{ id: string; workspace_id: string; type: string; data_json: string }>('SELECT id, workspace_id, type, data_json FROM platform_events');
      const terminatedByWorkspace = new Map<string, string[]>();
      for (const e of events) {
        if (e.type !== 'instance.terminated') continue;
        const list = terminatedByWorkspace.get(e.workspace_id) ?? [];
        list.push(JSON.parse(e.data_json).instanceId);
        terminatedByWorkspace.set(e.workspace_id, list);
      }

      const problems: string[] = [];
      const fail = (run: RaceRun, what: string) => problems.push(`race ${run.index} (${run.workspaceId}): ${what}`);
      let deductionFirstCount = 0;
      let sentOrderKept = 0;
      for (const run of runs) {
        if (run.deductionStatus !== 201) fail(run, `deduction answered ${run.deductionStatus}`);
        if (run.depositStatus !== 201) fail(run, `deposit answered ${run.depositStatus}`);
        const deduction = byKey.get(`${run.workspaceId}/race-${run.index}-deduct`);
        const deposit = byKey.get(`${run.workspaceId}/race-${run.index}-deposit`);
        if (!deduction || !deposit) {
          fail(run, 'deduction or deposit missing from the ledger');
          continue;
        }
        const deductionFirst = deduction.seq < deposit.seq;
        if (deductionFirst) deductionFirstCount++;
        if (deductionFirst !== run.depositSentFirst) sentOrderKept++;

        // The ledger tells which committed first, and the balances it left agree.
        if (deductionFirst) {
          if (deduction.balance_after_micros !== 0) fail(run, `deduction first but left ${deduction.balance_after_micros}`);
          if (deposit.balance_after_micros !== run.depositMicros) fail(run, `deposit after the deduction left ${deposit.balance_after_micros}`);
        } else {
          if (deposit.balance_after_micros !== run.grantMicros + run.depositMicros) fail(run, `deposit first but left ${deposit.balance_after_micros}`);
          if (deduction.balance_after_micros !== run.depositMicros) fail(run, `deduction after the deposit left ${deduction.balance_after_micros}`);
        }

        const inst = resources.get(run.instanceId);
        const notified = terminatedByWorkspace.get(run.workspaceId) ?? [];
        if (!inst) {
          fail(run, 'instance row missing');
          continue;
        }
        const drained = run.drainAfter && run.drainStatus === 201;
        if (run.drainAfter && run.drainStatus !== 201) fail(run, `drain answered ${run.drainStatus}`);
        const finalBalance = balances.get(run.workspaceId);
        const expectedFinal = drained ? 0 : run.depositMicros;
        if (finalBalance !== expectedFinal) fail(run, `final balance ${finalBalance}, expected ${expectedFinal}`);

        if (deductionFirst) {
          // The balance touched 0: terminated right then, before the deposit committed.
          if (inst.stop_reason !== 'zero_balance' || inst.stopped_at_ms === null) fail(run, `deduction first but the instance is ${JSON.stringify(inst)}`);
          else if (inst.stopped_at_ms < deduction.created_at_ms || inst.stopped_at_ms > deposit.created_at_ms)
            fail(run, `terminated at ${inst.stopped_at_ms}, not between the deduction (${deduction.created_at_ms}) and the deposit (${deposit.created_at_ms})`);
        } else if (!drained) {
          // The balance never reached 0: the instance must still run, and nobody was told otherwise.
          if (inst.stopped_at_ms !== null) fail(run, `positive balance throughout, yet the instance was stopped: ${JSON.stringify(inst)}`);
        }
        // Zero balance at the end: nothing may run.
        if (finalBalance === 0 && inst.stopped_at_ms === null) fail(run, 'balance 0 with the instance still running');
        if (drained && inst.stop_reason !== 'zero_balance') fail(run, `drained to 0 but the instance is ${JSON.stringify(inst)}`);

        // Exactly one instance.terminated per terminated instance, none otherwise.
        const expectedNotices = inst.stop_reason === 'zero_balance' ? 1 : 0;
        if (notified.length !== expectedNotices || notified.some((id) => id !== run.instanceId))
          fail(run, `instance.terminated events for ${JSON.stringify(notified)}, expected ${expectedNotices}`);
      }
      // Nothing else was announced (no volumes here, and a 10-micro/hour burn is never low), but the
      // alerts every workspace gets (docs/alerts.md): at zero, lifted from it, the termination warning.
      const alerts = ['balance.depleted', 'balance.recovered', 'instance.termination_scheduled', 'instance.termination_cancelled'];
      const otherTypes = [...new Set(events.map((e) => e.type))].filter((t) => t !== 'instance.terminated' && !alerts.includes(t));
      expect(otherTypes).toEqual([]);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

      const summary = {
        races: runs.length,
        deductionFirst: deductionFirstCount,
        depositFirst: runs.length - deductionFirstCount,
        commitOrderMatchedSendOrder: sentOrderKept,
        drained: runs.filter((r) => r.drainAfter).length,
        raceMs,
        verifyMs: Date.now() - t0 - raceMs,
      };
      console.log(JSON.stringify(summary));
      expect(problems.slice(0, 20), `${problems.length} problem(s)`).toEqual([]);
      expect(runs).toHaveLength(RACES);
      // Both orders happened, so both branches above were exercised.
      expect(deductionFirstCount).toBeGreaterThan(0);
      expect(runs.length - deductionFirstCount).toBeGreaterThan(0);
    },
    300_000,
  );
});
