// `npm start`'s terminal: the banner says what a person needs (the key, the URLs, ready-made curls,
// burnrate's own cron route and where wrangler's output went), and wrangler's contradicting hint
// (`/cdn-cgi/local/scheduled`) never reaches the terminal, even with --verbose.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bannerLines } from '../start/banner.mjs';
import { hintFilter, isErrorLine, lineSplitter, tail } from '../start/wrangler_output.mjs';

// wrangler 4's output around its hint, as it writes it (colours included).
const WRANGLER_OUTPUT = [
  'env.STRIPE_EMULATOR_URL ("(hidden)")      Environment Variable      local',
  '',
  '\u001b[33m▲ \u001b[43;33m[\u001b[43;30mWARNING\u001b[43;33m]\u001b[0m \u001b[1mScheduled Workers are not automatically triggered during local development.\u001b[0m',
  '',
  '  To manually trigger a scheduled event, run:',
  '    curl "http://127.0.0.1:8787/cdn-cgi/local/scheduled"',
  '  For more details, see \u001b[4mhttps://developers.cloudflare.com/workers/configuration/cron-triggers/#test-cron-triggers-locally\u001b[0m',
  '',
  '⎔ Starting local server...',
  '[wrangler:info] Ready on http://127.0.0.1:8787',
].join('\n');

const START = fileURLToPath(new URL('../start.mjs', import.meta.url));
const DEMO = { workspaceId: 'ws_demo1', memberId: 'mem_demo1', apiKey: 'br_abc-DEF_123' };
const banner = (overrides = {}) =>
  bannerLines({
    baseUrl: 'http://127.0.0.1:8787',
    demo: DEMO,
    internalToken: { value: 'dev-internal-token', isDevDefault: true },
    stripe: 'http://127.0.0.1:12111 (local emulator)',
    logFile: '.wrangler/logs/start.log',
    ...overrides,
  }).join('\n');

test('wrangler’s hint to use /cdn-cgi/local/scheduled is dropped, whatever the chunking; the rest is kept', () => {
  for (const size of [1, 7, 64, WRANGLER_OUTPUT.length]) {
    const shown = [];
    const keep = hintFilter();
    const lines = lineSplitter((line) => keep(line) && shown.push(line));
    for (let i = 0; i < WRANGLER_OUTPUT.length; i += size) lines.push(WRANGLER_OUTPUT.slice(i, i + size));
    lines.end();
    const text = shown.join('\n');
    assert.doesNotMatch(text, /cdn-cgi|Scheduled Workers|manually trigger|For more details/, `chunks of ${size}`);
    assert.match(text, /STRIPE_EMULATOR_URL/);
    assert.match(text, /Starting local server/);
    assert.match(text, /Ready on http:\/\/127\.0\.0\.1:8787$/);
  }
});

test('error lines (the Worker’s JSON errors, wrangler’s [ERROR]) are recognised; request logs are not', () => {
  assert.equal(isErrorLine('{"level":"error","requestId":"req_1","error":"Error: boom"}'), true);
  assert.equal(isErrorLine('\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m something failed'), true);
  assert.equal(isErrorLine('[wrangler:info] GET /v1/billing/credits 200 OK (12ms)'), false);
  assert.equal(isErrorLine('{"level":"info","msg":"settlement enqueued"}'), false);
  assert.equal(tail('a\nb\nc\nd\n\n', 2), 'c\nd');
});

test('the banner: key, workspace, member, URLs, ready-made curls, burnrate’s cron route and the log file', () => {
  const text = banner();
  assert.match(text, /burnrate is running at http:\/\/127\.0\.0\.1:8787/);
  assert.match(text, /admin API key +br_abc-DEF_123/);
  assert.match(text, /http:\/\/127\.0\.0\.1:8787\/dashboard/);
  assert.match(text, /http:\/\/127\.0\.0\.1:8787\/docs/);
  assert.match(text, /curl -H "X-API-Key: br_abc-DEF_123" http:\/\/127\.0\.0\.1:8787\/v1\/billing\/credits/);
  assert.match(text, /\/__scheduled\?cron=0\+\*\+\*\+\*\+\*&time=/);
  assert.doesNotMatch(text, /cdn-cgi/);
  assert.match(text, /wrangler's output: \.wrangler\/logs\/start\.log +\(npm start -- --verbose/);
  assert.doesNotMatch(banner({ logFile: null }), /start\.log/);
});

test('the banner’s export line sets BASE, KEY, WS, MEMBER and TOKEN in a POSIX shell', () => {
  const exportLine = banner().split('\n').find((line) => line.trim().startsWith('export '));
  assert.ok(exportLine, 'an export line');
  const out = execFileSync('sh', ['-c', `${exportLine.trim()}; printf '%s|%s|%s|%s|%s' "$BASE" "$KEY" "$WS" "$MEMBER" "$TOKEN"`], { encoding: 'utf8' });
  assert.equal(out, 'http://127.0.0.1:8787|br_abc-DEF_123|ws_demo1|mem_demo1|dev-internal-token');
});

test('an operator’s own internal token is never printed: the export line reads it from the environment', () => {
  const text = banner({ internalToken: { value: '', isDevDefault: false } });
  assert.match(text, /internal token +\(from INTERNAL_API_TOKEN\)/);
  const exportLine = text.split('\n').find((line) => line.trim().startsWith('export '));
  const out = execFileSync('sh', ['-c', `${exportLine.trim()}; printf '%s' "$TOKEN"`], { encoding: 'utf8', env: { ...process.env, INTERNAL_API_TOKEN: 'own-secret' } });
  assert.equal(out, 'own-secret');
});

test('npm start refuses a port already in use, naming the variable that moves it, before it runs anything', async () => {
  const taken = createServer();
  await new Promise((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = taken.address().port;
  const stateDir = mkdtempSync(join(tmpdir(), 'burnrate-port-'));
  try {
    const env = { ...process.env, PATH: '/nonexistent', PORT: String(port), BURNRATE_STATE_DIR: join(stateDir, 'state') };
    delete env.STRIPE_SECRET_KEY;
    // Not spawnSync: this process holds the port and must keep running while start.mjs checks it.
    const result = await new Promise((resolve) =>
      execFile(process.execPath, [START], { env, timeout: 20_000 }, (error, stdout, stderr) => resolve({ code: error?.code ?? 0, out: `${stdout}${stderr}` })),
    );
    assert.equal(result.code, 1, result.out);
    assert.match(result.out, new RegExp(`port ${port} is already in use.*PORT=<port> npm start`));
    assert.doesNotMatch(result.out, /could not run wrangler|applying D1 migrations/);
  } finally {
    taken.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
