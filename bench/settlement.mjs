import { INTERNAL_TOKEN, internalCall } from './server.mjs';
import { fmt, latency } from './stats.mjs';

const HOUR_MS = 3_600_000;
const SEED_PER_CALL = 500;

async function inParallel(items, limit, task) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

/**
 * Hourly settlement of many workspaces, each with a running instance: the cron fires once (through
 * /__scheduled) with a time `closedHours` hours ahead, so each workspace has that many closed hours
 * to settle (the current one and the next ones; an instance cannot start before its workspace
 * existed, so the hours are made by moving the cron forward, not the start back). One closed hour
 * is what settlement meets every hour (BENCH_SETTLE_HOURS, default 1; the earlier bench used 2). This is the backstop's worst case:
 * every workspace at once, through the Queue, rather than each object on its own alarm spread over
 * minutes 1-6 of the hour. We wait until every workspace's hours are settled and report the time
 * per workspace beside the trivial route's p50 on the same server in the same run.
 *
 * Setup goes through a bench-only route (/__bench/running-workspaces: the rows the API would write,
 * in one D1 batch per 500, then each ledger object loaded once), not three API calls per workspace.
 */
export async function benchSettlement(baseUrl, workspaceCount, closedHours = 1) {
  const cronTimeMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS + closedHours * HOUR_MS;
  const headers = { authorization: `Bearer ${INTERNAL_TOKEN}` };
  const setupStart = performance.now();
  const chunks = Array.from({ length: Math.ceil(workspaceCount / SEED_PER_CALL) }, (_, i) => Math.min(SEED_PER_CALL, workspaceCount - i * SEED_PER_CALL));
  const startedAtMs = Date.now();
  await inParallel(chunks, 2, (count) => internalCall(baseUrl, 'POST', '/__bench/running-workspaces', { count, startedAtMs }));
  const setupSeconds = (performance.now() - setupStart) / 1000;

  const floor = await latency(async () => {
    const res = await fetch(`${baseUrl}/healthz`);
    await res.arrayBuffer();
  }, 300);

  // The seeded workspaces settled through the cron's hour (a cheap count: polling must not take the
  // CPU the settlement needs).
  const settledWorkspaces = async () => (await (await fetch(`${baseUrl}/__bench/settled-bench-workspaces?through=${cronTimeMs}`, { headers })).json()).settled;
  const before = await settledWorkspaces();
  const expected = before + workspaceCount;
  const start = performance.now();
  const cron = await fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent('0 * * * *')}&time=${cronTimeMs}`);
  await cron.arrayBuffer();
  const enqueuedSeconds = (performance.now() - start) / 1000;
  let settled = before;
  const deadline = Date.now() + 15 * 60_000;
  while (settled < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    settled = await settledWorkspaces();
  }
  const seconds = (performance.now() - start) / 1000;
  const perWorkspaceMs = (seconds * 1000) / workspaceCount;
  return {
    name: `hourly settlement (${workspaceCount} workspaces with a running instance, ${closedHours} closed hour${closedHours === 1 ? '' : 's'} each)`,
    lines: [
      `setup ${fmt(setupSeconds, 1)} s (not measured)`,
      `settled ${settled - before} of ${expected - before} workspaces through the cron's hour (${closedHours} closed hour${closedHours === 1 ? '' : 's'} each) in ${fmt(seconds, 2)} s (cron enqueued all in ${fmt(enqueuedSeconds, 2)} s; goal: within 60 s)`,
      `${fmt(perWorkspaceMs, 2)} ms per workspace (cron → queue → ledger object → D1)`,
      `trivial route p50 ${fmt(floor.p50)} ms: ${fmt(perWorkspaceMs / floor.p50)}x per workspace (goal: no more than 1x)`,
    ],
    ok: settled === expected,
  };
}
