// `npm run bench`: figures measured in one run against floors measured in the same run, on the
// same local server. It reports; it does not pass or fail on a time. It exits non-zero only when
// a count is wrong (an event lost, an hour not settled).
import { benchCreditCheck } from './credit_check.mjs';
import { benchIngestion } from './ingestion.mjs';
import { benchSettlement } from './settlement.mjs';
import { startServer } from './server.mjs';

const port = Number(process.env.BENCH_PORT ?? 8799);
const samples = Number(process.env.BENCH_SAMPLES ?? 500);
const events = Number(process.env.BENCH_EVENTS ?? 20_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const workspaces = Number(process.env.BENCH_WORKSPACES ?? 2_000);
const only = (process.env.BENCH_ONLY ?? 'credit,ingest,settle').split(',');

const server = await startServer(port);
let ok = true;
try {
  const suites = [
    ['credit', () => benchCreditCheck(server.baseUrl, samples)],
    ['ingest', () => benchIngestion(server.baseUrl, events, connections)],
    ['settle', () => benchSettlement(server.baseUrl, workspaces)],
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
