// A newcomer's first hour, run as the README tells it against the server `npm start` runs:
// the start prints a banner (not wrangler's output, which goes to a log file), the README's curl
// tour answers as the README says, and the SDK quickstart runs as written from a project that
// installed the SDK from its folder.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBurnrate } from './harness.mjs';
import { fencedBlocks } from './support/readme_blocks.mjs';
import { REPO_ROOT } from './support/repo_root.mjs';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const BANNER_TIMEOUT_MS = 30_000;

let server;
let banner;

async function waitForBanner() {
  const deadline = Date.now() + BANNER_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const out = server.output();
    if (/wrangler's output/.test(out)) return out;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no banner within ${BANNER_TIMEOUT_MS / 1000}s:\n${server.output()}`);
}

before(async () => {
  server = await startBurnrate({ name: 'first-hour' });
  banner = await waitForBanner();
});

after(async () => {
  await server?.stop();
});

const exportLine = () => banner.split('\n').find((line) => line.trim().startsWith('export BASE=')).trim();
// The e2e server's token is not the dev default, so the export line reads it from the environment.
const shellEnv = () => ({ ...process.env, INTERNAL_API_TOKEN: server.internalToken });

test('npm start prints the banner, and wrangler’s output goes to the log file the banner names', () => {
  const lines = banner.split('\n');
  const keyLine = lines.findIndex((line) => line.includes(`admin API key    ${server.demo.apiKey}`));
  assert.ok(keyLine > 0 && keyLine < 15, `the key on line ${keyLine + 1}:\n${banner}`);
  assert.doesNotMatch(banner, /cdn-cgi/, 'wrangler’s hint that contradicts /__scheduled');
  assert.doesNotMatch(banner, /\[wrangler:info\]|⛅️|Your Worker has access to/, 'wrangler’s own output');
  assert.match(banner, new RegExp(`curl "${server.baseUrl.replace(/\./g, '\\.')}/__scheduled\\?cron=`));
  const logFile = join(dirname(server.stateDir), 'logs', `start.${new URL(server.baseUrl).port}.log`);
  assert.ok(banner.includes(`wrangler's output: ${logFile}`), `the banner names ${logFile}`);
  const log = readFileSync(logFile, 'utf8');
  assert.match(log, /Ready on http:\/\/127\.0\.0\.1/);
  assert.match(log, /Migrations to be applied|No migrations to apply/);
});

test('the banner’s export line sets what the tour uses, for this server', () => {
  const out = execFileSync('bash', ['-c', `${exportLine()}; printf '%s|%s|%s|%s|%s' "$BASE" "$KEY" "$WS" "$MEMBER" "$TOKEN"`], { encoding: 'utf8', env: shellEnv() });
  const { workspaceId, memberId, apiKey } = server.demo;
  assert.equal(out, [server.baseUrl, apiKey, workspaceId, memberId, server.internalToken].join('|'));
});

// What each call of the tour must answer: 2xx, and this shape.
const EXPECTED = [
  ['GET', /^\/v1\/billing\/credits$/, (b) => Number.isInteger(b.balanceMicros) && Number.isInteger(b.burnRateMicrosPerHour)],
  ['GET', /^\/internal\/v1\/workspaces\/[^/]+\/credit-check$/, (b) => b.allowed === true && Number.isInteger(b.balanceMicros)],
  ['POST', /^\/internal\/v1\/usage$/, (b) => b.accepted + b.duplicates === 2 && Number.isInteger(b.costMicros)],
  ['GET', /^\/v1\/billing\/my-usage$/, (b) => Number.isInteger(b.usage?.totalMicros) && Array.isArray(b.members) && b.members.length > 0],
  ['POST', /^\/internal\/v1\/resources$/, (b) => /^res_tour_/.test(b.id) && ['instance', 'volume'].includes(b.kind) && b.memberId !== null],
  ['GET', /^\/internal\/v1\/workspaces\/[^/]+\/storage-quota$/, (b) => b.usedBytes >= 50_000_000_000 && b.accessible === true],
  ['POST', /^\/internal\/v1\/resources\/[^/]+\/stop$/, (b) => b.status === 'stopped'],
  ['GET', /^\/__scheduled$/, (b) => typeof b === 'string' && /Ran scheduled event/.test(b)],
  ['POST', /^\/v1\/billing\/topup$/, (b) => b.checkoutUrl.startsWith(server.emulatorUrl) && b.transaction.status === 'pending'],
  ['GET', /^\/v1\/billing\/credits\/history$/, (b) => Array.isArray(b.data) && b.data.length > 0 && 'nextCursor' in b],
  ['POST', /^\/internal\/v1\/grants$/, (b) => b.block?.category === 'promotional' && b.block.priority === 10 && b.block.expiresAt !== null && b.transaction?.type === 'grant'],
  ['GET', /^\/v1\/billing\/credit-blocks$/, (b) => Array.isArray(b.data) && b.data[0]?.priority === 10],
];

test('the README’s curl tour, run as written, answers as the README says', () => {
  const blocks = fencedBlocks(README, 'A tour with curl', 'sh');
  assert.ok(blocks.length >= 5, `${blocks.length} sh blocks in the tour`);
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-tour-'));
  try {
    // Every curl of the tour is recorded (its arguments, status and body) and run as written.
    const script = [
      'set -u',
      'n=0',
      `curl() { n=$((n+1)); printf '%s\\0' "$@" > "${dir}/$n.args"; command curl -sS -o "${dir}/$n.body" -w '%{http_code}' "$@" > "${dir}/$n.status"; }`,
      exportLine(),
      ...blocks,
    ].join('\n');
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: shellEnv(), timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const calls = readdirSync(dir).filter((f) => f.endsWith('.args')).length;
    assert.ok(calls >= 10, `${calls} curl calls`);
    const unexpected = [];
    for (let i = 1; i <= calls; i += 1) {
      const args = readFileSync(join(dir, `${i}.args`), 'utf8').split('\0').slice(0, -1);
      const url = new URL(args.find((a) => a.startsWith('http')));
      const method = args.includes('-X') ? args[args.indexOf('-X') + 1] : 'GET';
      const status = Number(readFileSync(join(dir, `${i}.status`), 'utf8'));
      const text = readFileSync(join(dir, `${i}.body`), 'utf8');
      let body = text;
      try {
        body = JSON.parse(text);
      } catch {}
      const expectation = EXPECTED.find(([m, path]) => m === method && path.test(url.pathname));
      if (!expectation) unexpected.push(`${method} ${url.pathname}: add what it should answer to EXPECTED`);
      else if (status < 200 || status > 299 || !expectation[2](body)) unexpected.push(`${method} ${url.pathname}${url.search} → ${status} ${text.slice(0, 300)}`);
    }
    assert.deepEqual(unexpected, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the SDK quickstart of the README (the same in sdk/README.md) runs as written after npm install /path/to/burnrate/sdk', () => {
  const [quickstart] = fencedBlocks(README, 'The SDK', 'js');
  assert.ok(quickstart, 'a js block under "## The SDK"');
  assert.ok(quickstart.split('\n').length <= 12, 'a quickstart of about 10 lines');
  assert.ok(readFileSync(join(REPO_ROOT, 'sdk/README.md'), 'utf8').includes(quickstart), 'sdk/README.md has the same quickstart');
  assert.match(README, /npm install \/path\/to\/burnrate\/sdk/);
  assert.ok(existsSync(join(REPO_ROOT, 'sdk/dist/index.js')), 'sdk/dist is built by `npm install` (postinstall: scripts/build_sdk.mjs)');

  const project = mkdtempSync(join(tmpdir(), 'burnrate-platform-'));
  try {
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-platform', private: true, type: 'module' }));
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(REPO_ROOT, 'sdk')], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    assert.equal(install.status, 0, `${install.stdout}${install.stderr}`);
    writeFileSync(join(project, 'quickstart.mjs'), quickstart);
    const run = spawnSync(process.execPath, ['quickstart.mjs'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, BASE: server.baseUrl, TOKEN: server.internalToken },
    });
    assert.equal(run.status, 0, run.stderr);
    // What the comments of the quickstart say it prints.
    assert.match(run.stdout, /allowed: true/);
    assert.match(run.stdout, /balanceMicros: 10000000\b/);
    assert.match(run.stdout, /balanceMicros: 9994000\b/);
    assert.match(run.stdout, /accumulatingMicros: 6000\b/);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
