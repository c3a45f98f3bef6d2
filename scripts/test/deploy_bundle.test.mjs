// What `npm run deploy` ships holds no benchmark code: the floor routes under /__bench live only in
// the bench's own entry (workers/bench/bench_worker.ts), which the bench server runs and nothing
// deployed imports. Both halves are checked: the bundle `npm run build:check` writes, and a bench
// server that still answers those routes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
// bench/server.mjs spawns `wrangler` by name: the repo's own, also under plain `node --test`.
process.env.PATH = `${join(REPO, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`;
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

// Names only benchmark code has: the mount point, the floor router's module and its seeding helper.
const BENCH_MARKERS = ['__bench', 'bench_floor', 'seedRunningWorkspaces'];

/** `wrangler deploy --dry-run` (what build:check runs) of `entry` (default: wrangler.toml's main): every output file's text. */
function dryRunBundle(entry) {
  const outdir = mkdtempSync(join(tmpdir(), 'burnrate-bundle-'));
  try {
    const run = spawnSync('wrangler', ['deploy', '--dry-run', '--outdir', outdir, ...(entry ? [entry] : [])], { cwd: REPO, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, `wrangler deploy --dry-run failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /Total Upload/);
    const files = readdirSync(outdir).filter((name) => /\.(js|mjs|map)$/.test(name));
    assert.ok(files.some((name) => /\.m?js$/.test(name)), `no bundle in ${files.join(', ')}`);
    return files.map((name) => ({ name, text: readFileSync(join(outdir, name), 'utf8') }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

test('the deployed bundle (and its source map) holds no benchmark code', () => {
  const found = dryRunBundle().flatMap(({ name, text }) => BENCH_MARKERS.filter((marker) => text.includes(marker)).map((marker) => `${marker} in ${name}`));
  assert.deepEqual(found, []);
});

test("the bench entry's bundle does hold the floor routes (the check above can fail)", () => {
  const bundle = dryRunBundle('workers/bench/bench_worker.ts');
  const js = bundle.filter(({ name }) => /\.m?js$/.test(name)).map(({ text }) => text).join('\n');
  for (const marker of BENCH_MARKERS) assert.ok(js.includes(marker), `${marker} missing from the bench bundle`);
});

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('the bench server still serves the floor routes, behind the internal token', { timeout: 180_000 }, async () => {
  const { startServer, internalCall } = await import('../../bench/server.mjs');
  const server = await startServer(await freePort());
  try {
    assert.deepEqual(await internalCall(server.baseUrl, 'POST', '/__bench/accept-usage', { events: [{}, {}, {}] }), { accepted: 3 });
    const counts = await internalCall(server.baseUrl, 'GET', '/__bench/counts');
    assert.equal(counts.settledHours, 0);
    assert.equal(counts.events, 0);
    const anonymous = await fetch(`${server.baseUrl}/__bench/counts`);
    assert.equal(anonymous.status, 401);
    // The rest of the Worker is the deployed one: its routes answer as usual next to the floor's.
    assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.baseUrl}/__bench/no-such-floor`, { headers: { authorization: 'Bearer bench-internal-token' } })).status, 404);
  } finally {
    await server.stop();
  }
});
