// The settlement bench's floor: the least that settling one workspace in its own object can cost on
// this machine, measured on a minimal Worker (bench/cold_object_floor/) in the same run, driven the
// way the cron backstop drives burnrate: `count` objects given their storage first, then each sent
// one Queue message, woken cold by RPC, and made to read its storage, write one D1 batch and set its
// alarm.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWranglerDev } from './server.mjs';
import { latency } from './stats.mjs';

const CREATE_PER_CALL = 500;
const HOUR_MS = 3_600_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** { perObjectMs, cpuMsPerObject, trivialP50Ms } of `count` cold objects, on a server of its own at `port`. */
export async function measureColdObjectFloor(port, count) {
  const server = await startWranglerDev(port, mkdtempSync(join(tmpdir(), 'burnrate-floor-')), ['--config', 'bench/cold_object_floor/wrangler.toml']);
  const call = async (path) => {
    const res = await fetch(`${server.baseUrl}${path}`);
    if (!res.ok) throw new Error(`cold-object floor ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  try {
    await call('/setup');
    const trivial = await latency(async () => (await call('/healthz')).arrayBuffer(), 300);
    for (let from = 0; from < count; from += CREATE_PER_CALL) await call(`/create?from=${from}&count=${Math.min(CREATE_PER_CALL, count - from)}`);
    const hourMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const settled = async () => (await (await call(`/settled?hour=${hourMs}`)).json()).settled;
    const cpuStart = server.cpuSeconds();
    const start = performance.now();
    await call(`/settle-all?count=${count}&hour=${hourMs}`);
    while ((await settled()) < count) await sleep(500);
    const seconds = (performance.now() - start) / 1000;
    const cpuEnd = server.cpuSeconds();
    return {
      perObjectMs: (seconds * 1000) / count,
      cpuMsPerObject: cpuStart === null || cpuEnd === null ? null : ((cpuEnd - cpuStart) * 1000) / count,
      trivialP50Ms: trivial.p50,
    };
  } finally {
    await server.stop();
  }
}
