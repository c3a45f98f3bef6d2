// `npm run bench`: figures measured in one run against floors measured in the same run, on the
// same local server. It reports; it does not pass or fail on a time. It exits non-zero only when
// a count is wrong (an event lost, an hour not settled).
import { benchCapacity } from './capacity.mjs';
import { benchCreditCheck } from './credit_check.mjs';
import { benchHistory } from './history.mjs';
import { benchHolds } from './holds.mjs';
import { benchRegions } from './regions.mjs';
import { benchIngestion } from './ingestion.mjs';
import { benchSettlement } from './settlement.mjs';
import { benchSettlementBlocks } from './settlement_blocks.mjs';
import { startPreviousDesign } from './previous_design.mjs';
import { startServer } from './server.mjs';
import { benchWrites } from './writes.mjs';

// Wrangler's local trace collector (on by default in `wrangler dev`, for its local explorer) is
// streamed every invocation of every server here: without it, settlement's server CPU per
// workspace fell by about a quarter (3,000 workspaces: 132 → 170 settled per second). A deployed
// Worker pays nothing like it on its own thread, so every server of the bench (this design's and
// the previous design's, which inherit this environment) runs without it.
// X_LOCAL_OBSERVABILITY=true puts it back, to see what it costs.
process.env.X_LOCAL_OBSERVABILITY ??= 'false';

const port = Number(process.env.BENCH_PORT ?? 8799);
const samples = Number(process.env.BENCH_SAMPLES ?? 500);
const events = Number(process.env.BENCH_EVENTS ?? 20_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const workspaces = Number(process.env.BENCH_WORKSPACES ?? 10_000);
const deductions = Number(process.env.BENCH_DEDUCTIONS ?? 3_000);
const wideConnections = Number(process.env.BENCH_WIDE_CONNECTIONS ?? 64);
// The `writes` suite runs a second server whose ledger objects wait this long on every D1 round
// trip, as a deployed object far from its database does (20-80 ms).
const d1LatencyMs = Number(process.env.BENCH_D1_LATENCY_MS ?? 25);
const historyEntries = Number(process.env.BENCH_HISTORY_ENTRIES ?? 100_000);
const only = (process.env.BENCH_ONLY ?? 'credit,ingest,writes,history,blocks,holds,regions,settle').split(',');
// The `regions` suite's server waits this long on every call between two regions.
const regionRttMs = Number(process.env.BENCH_REGION_RTT_MS ?? 150);
const blockWorkspaces = Number(process.env.BENCH_BLOCK_WORKSPACES ?? 1_000);

const server = await startServer(port);
let ok = true;
try {
  const suites = [
    ['credit', () => benchCreditCheck(server.baseUrl, samples)],
    ['ingest', () => withPreviousDesign(port + 2, (previous) => benchIngestion(server.baseUrl, events, connections, previous))],
    ['writes', () => withServer(port + 1, { BENCH_D1_LATENCY_MS: String(d1LatencyMs) }, (delayed) =>
      benchWrites(server.baseUrl, delayed.baseUrl, d1LatencyMs, { deductions, events: Math.min(events, 10_000), connections, wideConnections }),
    )],
    ['history', () => benchHistory(server.baseUrl, historyEntries, Math.min(samples, 300))],
    ['blocks', () => benchSettlementBlocks(server, blockWorkspaces)],
    ['holds', () => benchHolds(server.baseUrl, { samples, holds: Number(process.env.BENCH_HOLDS ?? 2_000), connections })],
    // Its own server, with SIMULATED_INTER_REGION_RTT_MS between regions (docs/regions.md).
    ['regions', () => withServer(port + 4, { SIMULATED_INTER_REGION_RTT_MS: String(regionRttMs) }, (far) =>
      benchRegions(far.baseUrl, { samples, requests: Number(process.env.BENCH_REGION_REQUESTS ?? 10_000), rttMs: regionRttMs, connections }),
    )],
    ['settle', () => benchSettlement(server, workspaces, Number(process.env.BENCH_SETTLE_HOURS ?? 1), port + 3)],
    // Not in the default run: `npm run capacity`.
    ['capacity', () => benchCapacity(server.baseUrl, Number(process.env.BENCH_CAPACITY_WORKSPACES ?? 500), Number(process.env.BENCH_ENTRIES_PER_MONTH ?? 60))],
  ];
  for (const [name, run] of suites) {
    if (!only.includes(name)) continue;
    const result = await run();
    console.log(`\n${result.name}`);
    for (const line of result.lines) console.log(`  ${line}`);
    if (result.ok === false) ok = false;
  }
} finally {
  await server.stop();
}
process.exitCode = ok ? 0 : 1;

async function withServer(serverPort, vars, run) {
  const other = await startServer(serverPort, vars);
  try {
    return await run(other);
  } finally {
    await other.stop();
  }
}

async function withPreviousDesign(serverPort, run) {
  const previous = await startPreviousDesign(serverPort);
  try {
    return await run(previous);
  } finally {
    await previous.stop?.();
  }
}
