// Applies the D1 migrations to every database of wrangler.toml (`npm run deploy` runs it with
// --remote; `npm start` and the benchmark's server apply locally): the directory folder to DB, the
// shard folder to each LEDGER_SHARD_* (wrangler takes each binding's migrations_dir). Extra
// arguments go to every `wrangler d1 migrations apply` (--remote, or --local --persist-to <dir>).
import { spawnSync } from 'node:child_process';
import { d1Bindings } from './d1_bindings.mjs';

const args = process.argv.slice(2);
for (const binding of d1Bindings()) {
  console.log(`[migrate] ${binding}`);
  const run = spawnSync('wrangler', ['d1', 'migrations', 'apply', binding, ...args], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
