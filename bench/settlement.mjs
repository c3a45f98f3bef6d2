import { INTERNAL_TOKEN, internalCall } from './server.mjs';
import { fmt } from './stats.mjs';

const HOUR_MS = 3_600_000;

async function inParallel(items, limit, task) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

/**
 * Hourly settlement of many workspaces, each with a running instance: the cron fires once (through
 * /__scheduled) with a time two hours ahead, so each workspace has two closed hours to settle (the
 * current one and the next; an instance cannot start before its workspace existed, so the hours
 * are made by moving the cron forward, not the start back). The queue fans out, and we wait until
 * every workspace's hours are settled. Reports total time and time per workspace.
 */
export async function benchSettlement(baseUrl, workspaceCount) {
  const cronTimeMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS + 2 * HOUR_MS;
  const ids = Array.from({ length: workspaceCount }, (_, i) => i);
  const setupStart = performance.now();
  await inParallel(ids, 16, async (i) => {
    const created = await internalCall(baseUrl, 'POST', '/internal/v1/workspaces', { id: `settle-bench-${i}`, name: `settle ${i}`, admin: { name: 'B', email: `s${i}@example.com` } });
    const ws = created.workspace.id;
    await internalCall(baseUrl, 'POST', '/internal/v1/adjustments', { id: `grant-${i}`, workspaceId: ws, amountMicros: 50_000_000, description: 'bench' });
    await internalCall(baseUrl, 'POST', '/internal/v1/resources', { id: `res_bench_${i}`, workspaceId: ws, kind: 'instance', instanceType: 'cpu-small' });
  });
  const setupSeconds = (performance.now() - setupStart) / 1000;

  const headers = { authorization: `Bearer ${INTERNAL_TOKEN}` };
  const before = (await (await fetch(`${baseUrl}/__bench/counts`, { headers })).json()).settledHours;
  const expected = before + workspaceCount * 2; // two closed hours each
  const start = performance.now();
  const cron = await fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent('0 * * * *')}&time=${cronTimeMs}`);
  await cron.arrayBuffer();
  let settled = before;
  const deadline = Date.now() + 15 * 60_000;
  while (settled < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    settled = (await (await fetch(`${baseUrl}/__bench/counts`, { headers })).json()).settledHours;
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    name: `hourly settlement (${workspaceCount} workspaces with a running instance, 2 closed hours each)`,
    lines: [
      `setup ${fmt(setupSeconds, 1)} s (not measured)`,
      `settled ${settled - before} of ${expected - before} workspace-hours in ${fmt(seconds, 2)} s`,
      `${fmt((seconds * 1000) / workspaceCount, 2)} ms per workspace (cron → queue → ledger object → D1)`,
    ],
    ok: settled === expected,
  };
}
