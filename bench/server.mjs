// Starts a throwaway local burnrate (wrangler dev, fresh state in a temp dir) for benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { d1Bindings } from '../scripts/d1_bindings.mjs';

export const INTERNAL_TOKEN = 'bench-internal-token';
// The deployed Worker plus the floor routes under /__bench, which `npm run deploy` never bundles.
const BENCH_ENTRY = fileURLToPath(new URL('../workers/bench/bench_worker.ts', import.meta.url));

/** `vars`: extra bindings for this server only (e.g. BENCH_D1_LATENCY_MS). */
export async function startServer(port, vars = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'burnrate-bench-'));
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
  for (const binding of d1Bindings()) {
    const migrate = spawnSync('wrangler', ['d1', 'migrations', 'apply', binding, '--local', '--persist-to', stateDir], { env, encoding: 'utf8' });
    if (migrate.status !== 0) throw new Error(`migrations of ${binding} failed:\n${migrate.stdout}\n${migrate.stderr}`);
  }
  const envFile = join(stateDir, 'bench.env');
  const extra = Object.entries(vars).map(([name, value]) => `${name}="${value}"\n`).join('');
  writeFileSync(envFile, `INTERNAL_API_TOKEN="${INTERNAL_TOKEN}"\nBENCH_ROUTES="enabled"\nLOCAL_SCHEDULED_ROUTE="enabled"\nSIMULATED_REGIONS="enabled"\n${extra}`);
  return startWranglerDev(port, stateDir, [BENCH_ENTRY, '--env-file', envFile]);
}

/**
 * `wrangler dev` on `port` with its state in `stateDir` (removed on stop), answering /healthz:
 * { baseUrl, cpuSeconds(), stop() }. `args`: more of wrangler's options (a config, an env file).
 */
export async function startWranglerDev(port, stateDir, args = []) {
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
  const child = spawn(
    'wrangler',
    ['dev', ...args, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', stateDir, '--log-level', 'error', '--show-interactive-dev-session=false'],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`wrangler dev ${args.join(' ')} did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    /** CPU seconds (user + system) used so far by this server's processes (wrangler, workerd); null where /proc is not there. */
    cpuSeconds: () => treeCpuSeconds(child.pid),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export async function internalCall(baseUrl, method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** CPU seconds of a process and all its descendants, from /proc (Linux); null elsewhere. */
function treeCpuSeconds(rootPid) {
  let stats;
  try {
    stats = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((pid) => {
        try {
          // Fields after the command name: state ppid … utime (14th) stime (15th), in clock ticks.
          const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
          return { pid: Number(pid), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
        } catch {
          return null;
        }
      })
      .filter(Boolean);
  } catch {
    return null;
  }
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of stats) if (!tree.has(p.pid) && tree.has(p.ppid)) (tree.add(p.pid), (grew = true));
  }
  // USER_HZ is 100 on Linux.
  return stats.filter((p) => tree.has(p.pid)).reduce((sum, p) => sum + p.ticks, 0) / 100;
}
