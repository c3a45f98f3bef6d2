// `npm run bench`: figures measured in one run against floors measured in the same run. It reports;
// it does not pass or fail on a time.
import { benchCreditCheck } from './credit_check.mjs';
import { startServer } from './server.mjs';

const port = Number(process.env.BENCH_PORT ?? 8799);
const samples = Number(process.env.BENCH_SAMPLES ?? 500);

const server = await startServer(port);
try {
  const results = [await benchCreditCheck(server.baseUrl, samples)];
  for (const result of results) {
    console.log(`\n${result.name}`);
    for (const line of result.lines) console.log(`  ${line}`);
  }
} finally {
  await server.stop();
}
