// One burnrate server for one e2e test file: exactly what `npm start` runs (scripts/start.mjs:
// migrations, wrangler dev, the Stripe emulator, the seeded demo workspace), but with a fresh
// state directory and free ports, so it never touches or collides with a developer's server.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { freePorts } from './free_ports.mjs';
import { killGroupOnExit, signalGroup, waitForGroupExit } from './process_group.mjs';
import { REPO_ROOT } from './repo_root.mjs';

// Long enough for a loaded 2-core machine (five migration runs, then wrangler dev); E2E_START_TIMEOUT_MS overrides.
const START_TIMEOUT_MS = Number(process.env.E2E_START_TIMEOUT_MS) || 180_000;
const STOP_GRACE_MS = 15_000;
const OUTPUT_LIMIT_CHARS = 200_000;

export const E2E_INTERNAL_TOKEN = 'e2e-internal-token';
const E2E_WEBHOOK_SECRET = 'whsec_e2e_burnrate';

// Everything start.mjs needs, and nothing from the caller's shell that would make the run depend
// on it (a real Stripe key, a platform webhook, a developer's token).
function serverEnv({ stateDir, port, emulatorPort }) {
  const env = { ...process.env };
  for (const name of ['STRIPE_SECRET_KEY', 'PLATFORM_WEBHOOK_URL', 'PLATFORM_WEBHOOK_SECRET']) delete env[name];
  return {
    ...env,
    // `npm run` puts node_modules/.bin on the PATH; a test started with plain `node --test` has not.
    PATH: [join(REPO_ROOT, 'node_modules', '.bin'), env.PATH].join(delimiter),
    BURNRATE_STATE_DIR: stateDir,
    PORT: String(port),
    STRIPE_EMULATOR_PORT: String(emulatorPort),
    INTERNAL_API_TOKEN: E2E_INTERNAL_TOKEN,
    STRIPE_WEBHOOK_SECRET: E2E_WEBHOOK_SECRET,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  };
}

// The server's output, kept (the tail of it) to show when the start fails; E2E_VERBOSE=1 also
// streams it live.
function captureOutput(child, name) {
  let text = '';
  const append = (chunk) => {
    text = (text + chunk).slice(-OUTPUT_LIMIT_CHARS);
    if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
  };
  child.stdout.setEncoding('utf8').on('data', append);
  child.stderr.setEncoding('utf8').on('data', append);
  return () => text;
}

// start.mjs writes the demo file after the last seeding call has been answered, so once it
// parses the server is up and the workspace exists. (Read until it parses: the write is not atomic.)
function readDemoFile(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

// start.mjs sends wrangler's output to a log file next to the state (the banner names it): its
// tail goes into a failed start's message, after start.mjs's own output.
function wranglerLogTail(logFile) {
  try {
    return `\n--- the last lines of ${logFile} ---\n${readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n')}`;
  } catch {
    return '';
  }
}

async function waitForDemo({ demoFile, logFile, child, output, name }) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`burnrate (${name}) exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${output()}${wranglerLogTail(logFile)}`);
    }
    const demo = readDemoFile(demoFile);
    if (demo?.apiKey && demo.workspaceId) return demo;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`burnrate (${name}) was not ready within ${START_TIMEOUT_MS / 1000}s:\n${output()}${wranglerLogTail(logFile)}`);
}

async function readBody(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function request(url, { method, headers, body }) {
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await readBody(res) };
}

export async function startBurnrate({ name = 'e2e' } = {}) {
  const startedAt = Date.now();
  const tempDir = mkdtempSync(join(tmpdir(), `burnrate-${name}-`));
  const stateDir = join(tempDir, 'state');
  const [port, emulatorPort] = await freePorts(2);
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: REPO_ROOT,
    env: serverEnv({ stateDir, port, emulatorPort }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: see process_group.mjs
  });
  const removeState = () => {
    if (!process.env.E2E_KEEP_STATE) rmSync(tempDir, { recursive: true, force: true });
  };
  const forgetGroup = killGroupOnExit(child.pid, removeState);
  const output = captureOutput(child, name);

  let stopped = null;
  const stop = () => {
    stopped ??= (async () => {
      // Only start.mjs is asked: it stops wrangler (which stops workerd) and the emulator, the
      // path a developer's Ctrl-C takes. Whatever is still in the group after the grace period is
      // killed, with a warning, since that would be an orphan with `npm start` too.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      if (!(await waitForGroupExit(child.pid, STOP_GRACE_MS))) {
        process.stderr.write(`[${name}] burnrate did not stop within ${STOP_GRACE_MS / 1000}s of SIGTERM; killing its process group\n`);
        signalGroup(child.pid, 'SIGKILL');
        await waitForGroupExit(child.pid, 5_000);
      }
      forgetGroup();
      removeState();
    })();
    return stopped;
  };

  let demo;
  const logFile = join(dirname(stateDir), 'logs', `start.${port}.log`);
  try {
    demo = await waitForDemo({ demoFile: join(stateDir, 'demo-workspace.json'), logFile, child, output, name });
  } catch (error) {
    await stop();
    throw error;
  }

  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    name,
    baseUrl,
    emulatorUrl: `http://127.0.0.1:${emulatorPort}`,
    internalToken: E2E_INTERNAL_TOKEN,
    stateDir,
    startupMs: Date.now() - startedAt,
    demo, // { workspaceId, memberId, apiKey } as start.mjs seeded it
    output,
    // wrangler's own output (its request log among it), which start.mjs sends to the log file the banner names.
    wranglerLog: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    // The internal API, with the server's internal token.
    internal: (method, path, body) =>
      request(`${baseUrl}${path}`, { method, body, headers: { authorization: `Bearer ${E2E_INTERNAL_TOKEN}` } }),
    // The public API as a workspace's key holder; no key (null) to test the refusal.
    publicApi: (method, path, apiKey, body) =>
      request(`${baseUrl}${path}`, { method, body, headers: apiKey ? { 'x-api-key': apiKey } : {} }),
    stop,
  };
}
