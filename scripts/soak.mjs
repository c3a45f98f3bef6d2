#!/usr/bin/env node
// npm run soak -- [--seeds N] [--steps M] [--first-seed K] [--seed S] [--break RULE] [--trace T] [--d1-faults P] [--regions P] [--ops] [--trace-out FILE]
//
// Runs the seeded simulator (test/sim/, docs/simulation.md) inside workerd through vitest
// (vitest.soak.config.ts) and prints one line per seed, then `N seeds, M steps, V violations`
// (exit 1 on any violation). `--seed S` runs that one seed and prints `digest <hex>` of its final
// state, or the violation with the last operations: the same seed and steps replay it exactly.
// `--ops` also prints how often each operation ran, per seed. `--trace-out FILE` writes every step of
// every seed to FILE (diff two runs' files to find where they part). `--regions P`: the share of deductions,
// holds, captures, releases and credit checks called from far regions (default 0.35; `npm test` 0.15).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const options = { seeds: 1, steps: 500, firstSeed: 1, single: false, breakRule: '', trace: 25, d1Faults: 0.06, regions: 0.35, ops: false, traceOut: '' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const int = () => {
      if (!/^\d+$/.test(value ?? '')) throw new Error(`${flag} needs a whole number`);
      i++;
      return Number(value);
    };
    if (flag === '--seeds') options.seeds = int();
    else if (flag === '--steps') options.steps = int();
    else if (flag === '--first-seed') options.firstSeed = int();
    else if (flag === '--trace') options.trace = int();
    else if (flag === '--seed') {
      options.firstSeed = int();
      options.seeds = 1;
      options.single = true;
    } else if (flag === '--d1-faults') {
      if (!/^(0(\.\d+)?|1)$/.test(value ?? '')) throw new Error('--d1-faults needs a chance between 0 and 1');
      options.d1Faults = Number(value);
      i++;
    } else if (flag === '--regions') {
      if (!/^(0(\.\d+)?|1)$/.test(value ?? '')) throw new Error('--regions needs a share between 0 and 1');
      options.regions = Number(value);
      i++;
    } else if (flag === '--trace-out') {
      if (!value) throw new Error('--trace-out needs a file');
      options.traceOut = value;
      i++;
    } else if (flag === '--ops') {
      options.ops = true;
    } else if (flag === '--break') {
      options.breakRule = value ?? '';
      i++;
    } else throw new Error(`unknown option ${flag} (see scripts/soak.mjs)`);
  }
  return options;
}

const stripAnsi = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');

/**
 * Runs one seed in a vitest run of its own: fresh storage (D1, objects, registries) and a fresh
 * Stripe emulator, so that `--seed N` alone replays what seed N did in a run of many.
 */
async function runSeed(options, seed) {
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    SIM_FIRST_SEED: String(seed),
    SIM_SEEDS: '1',
    SIM_STEPS: String(options.steps),
    SIM_BREAK: options.breakRule,
    SIM_TRACE: String(options.trace),
    SIM_D1_FAULTS: String(options.d1Faults),
    SIM_REGIONS: String(options.regions),
    SIM_FULL_TRACE: options.traceOut ? '1' : '',
  };
  const vitest = path.join(root, 'node_modules', '.bin', 'vitest');
  const child = spawn(vitest, ['run', '--config', 'vitest.soak.config.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let result = null;
  const traceLines = [];
  let buffered = '';
  let output = '';
  child.stdout.on('data', (chunk) => {
    const text = chunk.toString();
    output += text;
    buffered += text;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const raw of lines) {
      const traced = stripAnsi(raw).match(/SIMTRACE (.*)$/);
      if (traced) traceLines.push(traced[1]);
      const match = stripAnsi(raw).match(/SIM (\{.*\})\s*$/);
      if (match) result = JSON.parse(match[1]);
    }
  });
  child.stderr.on('data', (chunk) => (output += chunk.toString()));
  const code = await new Promise((resolve) => child.on('close', resolve));
  return { result, traceLines, code, output: stripAnsi(output) };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const results = [];
  const traceLines = [];
  let failedRun = null;
  for (let seed = options.firstSeed; seed < options.firstSeed + options.seeds; seed++) {
    const run = await runSeed(options, seed);
    traceLines.push(...run.traceLines);
    const result = run.result;
    if (!result) {
      console.error(run.output.split('\n').slice(-60).join('\n'));
      console.error(`the simulator reported nothing for seed ${seed} (vitest exited ${run.code})`);
      process.exit(1);
    }
    results.push(result);
    if (result.violation) console.log(`seed ${result.seed}: VIOLATION at step ${result.violation.step} (${result.ms} ms)\n${result.violation.text}`);
    else console.log(`seed ${result.seed}: ${result.steps} steps, no violation, digest ${result.digest} (${result.ms} ms)`);
    if (options.ops) console.log(`  ops: ${Object.entries(result.opCounts).sort(([a], [b]) => (a < b ? -1 : 1)).map(([op, n]) => `${op} ${n}`).join(', ')}; decided in far regions: ${result.decidedInRegions}`);
    // vitest fails the file too when the after-file ledger check finds what a run left broken.
    if (run.code !== 0 && !result.violation) failedRun ??= { seed, code: run.code, output: run.output };
  }
  if (options.traceOut) writeFileSync(options.traceOut, traceLines.join('\n') + '\n');
  const violations = results.filter((r) => r.violation).length;
  const steps = results.reduce((sum, r) => sum + r.steps, 0);
  if (options.single && !results[0].violation) console.log(`digest ${results[0].digest}`);
  console.log(`${results.length} seeds, ${steps} steps, ${violations} violations`);
  if (failedRun) {
    console.error(failedRun.output.split('\n').slice(-60).join('\n'));
    console.error(`vitest exited ${failedRun.code} after seed ${failedRun.seed}`);
  }
  process.exit(violations > 0 || failedRun ? 1 : 0);
}

main().catch((error) => {
  console.error(String(error?.message ?? error));
  process.exit(2);
});
