#!/usr/bin/env node
// `npm start`: the local burnrate. Applies D1 migrations, serves the Worker through
// `wrangler dev` (D1, Durable Objects, Queues and cron all local, no account, no network),
// seeds a demo workspace once, and prints its admin API key. wrangler's own output goes to a log
// file (its path is in the banner); `npm start -- --verbose` streams it too.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { bannerLines } from './start/banner.mjs';
import { portIsFree } from './start/port_free.mjs';
import { hintFilter, isErrorLine, lineSplitter, tail } from './start/wrangler_output.mjs';
import { startEmulator } from '../stripe-emulator/server.mjs';
import { d1Bindings } from './d1_bindings.mjs';
import { DEV_SECRET_DEFAULTS, unsafeSecretsForRealStripe } from '../workers/lib/published_secrets.mjs';

const PORT = process.env.PORT ?? '8787';
const STRIPE_EMULATOR_PORT = Number(process.env.STRIPE_EMULATOR_PORT ?? 12111);
const HOST = '127.0.0.1';
const BASE_URL = `http://${HOST}:${PORT}`;
// D1, Durable Objects and Queues persist here. Configurable so that a test can run its own
// server with fresh state next to a developer's `npm start`.
const STATE_DIR = process.env.BURNRATE_STATE_DIR || '.wrangler/state';
const DEMO_FILE = join(STATE_DIR, 'demo-workspace.json');
// The secrets handed to wrangler, next to the state they belong to (`.wrangler/dev.env` by
// default), named per port so two servers sharing a parent directory never read each other's.
const DEV_ENV_FILE = join(dirname(STATE_DIR), PORT === '8787' ? 'dev.env' : `dev.${PORT}.env`);
// wrangler's output (migrations, bindings, every request, the Worker's logs), next to the state
// (`.wrangler/logs/start.log` by default), rewritten at each start.
const LOG_FILE = join(dirname(STATE_DIR), 'logs', PORT === '8787' ? 'start.log' : `start.${PORT}.log`);
const VERBOSE = process.argv.slice(2).includes('--verbose');

// Secrets and settings: from the environment when set, else the documented dev defaults — but
// only with the Stripe emulator. With a real STRIPE_SECRET_KEY nothing falls back to a published
// value, and main() refuses to start until every secret is the operator's own.
const REAL_STRIPE = Boolean(process.env.STRIPE_SECRET_KEY);
const secretOrDevDefault = (name) => process.env[name] ?? (REAL_STRIPE ? undefined : DEV_SECRET_DEFAULTS[name]);
const settings = {
  INTERNAL_API_TOKEN: secretOrDevDefault('INTERNAL_API_TOKEN'),
  STRIPE_SECRET_KEY: process.env.STRIPE_SECRET_KEY,
  STRIPE_WEBHOOK_SECRET: secretOrDevDefault('STRIPE_WEBHOOK_SECRET'),
  PLATFORM_WEBHOOK_URL: process.env.PLATFORM_WEBHOOK_URL,
  PLATFORM_WEBHOOK_SECRET: secretOrDevDefault('PLATFORM_WEBHOOK_SECRET'),
  DASHBOARD_SESSION_SECRET: process.env.DASHBOARD_SESSION_SECRET,
  // Where Stripe Checkout sends the browser back (never the request's Host header).
  PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL || BASE_URL,
  // Days usage event ids are remembered (wrangler.toml's default is 35).
  USAGE_EVENT_RETENTION_DAYS: process.env.USAGE_EVENT_RETENTION_DAYS,
  // GET /__scheduled?cron=…&time=<epoch ms> fires the hourly cron at that time (see
  // workers/settlement/local_scheduled_route.ts for why this is not wrangler's --test-scheduled).
  LOCAL_SCHEDULED_ROUTE: 'enabled',
  // One process stands for every region: X-Burnrate-Region names the caller's (default enam), and
  // SIMULATED_INTER_REGION_RTT_MS (default 0) delays every call between two regions (docs/regions.md).
  SIMULATED_REGIONS: 'enabled',
  SIMULATED_INTER_REGION_RTT_MS: process.env.SIMULATED_INTER_REGION_RTT_MS,
  // Without a real Stripe key, the Worker talks to the local Stripe emulator instead.
  STRIPE_EMULATOR_URL: process.env.STRIPE_SECRET_KEY ? undefined : `http://127.0.0.1:${STRIPE_EMULATOR_PORT}`,
};

const childEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

function log(message) {
  process.stdout.write(`[burnrate] ${message}\n`);
}

function writeDevEnvFile() {
  mkdirSync(STATE_DIR, { recursive: true });
  const path = DEV_ENV_FILE;
  const lines = Object.entries(settings)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  return path;
}

// Every child (the migrations run, then `wrangler dev`) is tracked, so that a signal at any
// moment of the start stops it: wrangler passes SIGTERM/SIGINT on to workerd, and a child left
// behind would keep the ports and write into the state directory after we are gone.
const children = new Set();
let stopping = false;

// Every line of wrangler's output goes to the log; with --verbose to the terminal too (without its
// hint to fire the cron at /cdn-cgi/local/scheduled: the banner names burnrate's own route); without
// it, only error lines reach the terminal, once the server is up.
mkdirSync(dirname(LOG_FILE), { recursive: true });
const logStream = createWriteStream(LOG_FILE, { flags: 'w' });
let logText = ''; // the log's tail, kept to show when the start fails
let serverUp = false;
const keepLine = hintFilter();
function wranglerLine(line) {
  logStream.write(`${line}\n`);
  logText = `${logText}${line}\n`.slice(-50_000);
  if (VERBOSE) {
    if (keepLine(line)) process.stdout.write(`${line}\n`);
  } else if (serverUp && isErrorLine(line)) {
    process.stderr.write(`${line}\n`);
  }
}

// The log's path as a person would type it: relative to here when it is below here.
function shownPath(path) {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

let tailShown = false;
function showLogTail() {
  if (tailShown) return;
  tailShown = true;
  process.stderr.write(`${tail(logText, 40)}\n`);
  log(`(the last lines of wrangler's output; all of it is in ${shownPath(LOG_FILE)})`);
}

function spawnChild(args) {
  const child = spawn('wrangler', args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  for (const stream of [child.stdout, child.stderr]) {
    const lines = lineSplitter(wranglerLine);
    stream.setEncoding('utf8').on('data', (chunk) => lines.push(chunk));
    stream.on('end', () => lines.end());
  }
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('error', (error) => {
    log(`could not run wrangler (${error.message}); run this through \`npm start\`, which puts it on the PATH.`);
    process.exit(1);
  });
  return child;
}

function exitCodeOf(child) {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

// The directory's migrations to DB, the shard migrations to each ledger shard (every D1 binding of
// wrangler.toml, each with its own migrations_dir).
async function applyMigrations() {
  const bindings = d1Bindings();
  log(`applying D1 migrations (local): ${bindings.join(', ')}…`);
  for (const binding of bindings) {
    const code = await exitCodeOf(spawnChild(['d1', 'migrations', 'apply', binding, '--local', '--persist-to', STATE_DIR]));
    if (stopping) process.exit(0);
    if (code !== 0) {
      if (!VERBOSE) showLogTail();
      log(`migrations of ${binding} failed.`);
      process.exit(code);
    }
  }
}

async function waitForServer(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${BASE_URL}/healthz`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server did not answer on ${BASE_URL} within ${timeoutMs / 1000}s`);
}

async function call(method, path, body, headers = {}) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${settings.INTERNAL_API_TOKEN}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function demoKeyStillWorks(apiKey) {
  const res = await fetch(`${BASE_URL}/v1/billing/credits`, { headers: { 'x-api-key': apiKey } });
  return res.ok;
}

// Every seeding call carries a fixed id, so a restart (or a half-finished first run) replays
// instead of creating a second workspace or granting twice.
async function seedDemoWorkspace() {
  if (existsSync(DEMO_FILE)) {
    const saved = JSON.parse(readFileSync(DEMO_FILE, 'utf8'));
    if (await demoKeyStillWorks(saved.apiKey)) return saved;
  }
  const created = await call('POST', '/internal/v1/workspaces', {
    id: 'demo-workspace',
    name: 'Demo workspace',
    admin: { name: 'Demo Admin', email: 'admin@demo.burnrate.dev' },
  });
  const workspaceId = created.workspace.id;
  const entries = [
    ['/internal/v1/adjustments', { id: 'demo-welcome-grant', amountMicros: 25_000_000, description: 'Welcome credits' }],
    // A one-off charge the platform posts itself, for no member (it shows as Unattributed). The
    // instance and the volume below are metered, hour by hour: no deduction stands in for them.
    ['/internal/v1/deductions', { id: 'demo-charge-export', amountMicros: 120_000, description: 'One-off charge: snapshot export of res_demo_volume' }],
  ];
  for (const [path, body] of entries) await call('POST', path, { ...body, workspaceId });
  // Something metered, so the burn rate and the accumulating hour show a live picture.
  await call('POST', '/internal/v1/resources', { id: 'res_demo_sandbox', workspaceId, memberId: created.member.id, kind: 'instance', instanceType: 'cpu-small' });
  await call('POST', '/internal/v1/resources', { id: 'res_demo_volume', workspaceId, memberId: created.member.id, kind: 'volume', sizeBytes: 40_000_000_000 });
  await call('POST', '/internal/v1/usage', {
    events: [
      { id: 'demo-model-1', workspaceId, memberId: created.member.id, type: 'model', model: 'claude-sonnet-4', inputTokens: 12_000, outputTokens: 3_500 },
      { id: 'demo-model-2', workspaceId, memberId: created.member.id, type: 'model', model: 'gpt-4o-mini', inputTokens: 40_000, outputTokens: 9_000 },
      { id: 'demo-tool-1', workspaceId, memberId: created.member.id, type: 'tool_execution' },
    ],
  });
  const demo = { workspaceId, memberId: created.member.id, apiKey: created.apiKey };
  writeFileSync(DEMO_FILE, JSON.stringify(demo, null, 2), { mode: 0o600 });
  return demo;
}

function printBanner(demo) {
  const tokenIsDevDefault = settings.INTERNAL_API_TOKEN === DEV_SECRET_DEFAULTS.INTERNAL_API_TOKEN;
  const lines = bannerLines({
    baseUrl: BASE_URL,
    demo,
    internalToken: { value: tokenIsDevDefault ? settings.INTERNAL_API_TOKEN : '', isDevDefault: tokenIsDevDefault },
    stripe: settings.STRIPE_SECRET_KEY
      ? 'api.stripe.com (STRIPE_SECRET_KEY)'
      : `${settings.STRIPE_EMULATOR_URL} (local emulator; card 4242 4242 4242 4242 pays)`,
    logFile: VERBOSE ? null : shownPath(LOG_FILE),
  });
  process.stdout.write(`${lines.join('\n')}\n`);
}

function stopOn(signal) {
  stopping = true;
  // Before any child has started (or after the last has gone) there is nothing to wait for.
  if (children.size === 0) process.exit(0);
  for (const child of children) child.kill(signal);
}

// Orphaned, we stop as on SIGTERM. That is how `npm start` ends when npm itself is sent SIGTERM
// (npm passes it to the `sh -c` it runs us in, which dies without passing it on), and how an e2e
// server ends when the test process is killed outright.
function stopWhenOrphaned() {
  const parentPid = process.ppid;
  setInterval(() => {
    if (!stopping && process.ppid !== parentPid) stopOn('SIGTERM');
  }, 1000).unref();
}

/** With real Stripe, published or missing secrets stop the start before anything runs. */
function refuseUnsafeSecrets() {
  const unsafe = unsafeSecretsForRealStripe(process.env);
  if (unsafe.length === 0) return;
  log('STRIPE_SECRET_KEY is set (real Stripe), but these secrets are unset or a published dev default:');
  for (const name of unsafe) log(`  set ${name} to a secret of your own (for example: export ${name}="$(openssl rand -base64 32)")`);
  log('refusing to start: anyone could call the internal API, forge Stripe webhooks or sign notifications with a published value.');
  process.exit(1);
}

/** A port in use stops the start at once, naming the variable that moves it. */
async function refuseTakenPorts() {
  const ports = [['PORT', Number(PORT)]];
  if (!settings.STRIPE_SECRET_KEY) ports.push(['STRIPE_EMULATOR_PORT', STRIPE_EMULATOR_PORT]);
  for (const [name, port] of ports) {
    if (await portIsFree(HOST, port)) continue;
    log(`port ${port} is already in use (another npm start?); stop it, or choose another: ${name}=<port> npm start`);
    process.exit(1);
  }
}

async function main() {
  refuseUnsafeSecrets();
  await refuseTakenPorts();
  process.on('SIGINT', stopOn);
  process.on('SIGTERM', stopOn);
  stopWhenOrphaned();
  await applyMigrations();
  let emulator = null;
  if (!settings.STRIPE_SECRET_KEY) {
    emulator = await startEmulator({ port: STRIPE_EMULATOR_PORT, webhookUrl: `${BASE_URL}/v1/stripe/webhook`, webhookSecret: settings.STRIPE_WEBHOOK_SECRET });
  }
  if (stopping) {
    await emulator?.close();
    process.exit(0);
  }
  const envFile = writeDevEnvFile();
  log(`starting the Worker (wrangler dev) on ${BASE_URL}…`);
  const dev = spawnChild(['dev', '--ip', HOST, '--port', PORT, '--persist-to', STATE_DIR, '--env-file', envFile, '--show-interactive-dev-session=false']);
  dev.on('exit', async (code) => {
    if (!stopping && !serverUp && !VERBOSE) showLogTail();
    await emulator?.close();
    process.exit(process.exitCode ?? code ?? 0); // a failed start (exitCode 1) stays a failure
  });

  try {
    await waitForServer(90_000);
    if (stopping) return;
    const demo = await seedDemoWorkspace();
    serverUp = true;
    printBanner(demo);
  } catch (error) {
    if (stopping) return;
    if (!VERBOSE) showLogTail();
    log(`start failed: ${error.message}`);
    dev.kill('SIGTERM');
    process.exitCode = 1;
  }
}

main();
