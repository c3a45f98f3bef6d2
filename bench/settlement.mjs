import { measureColdObjectFloor } from './cold_object_floor.mjs';
import { INTERNAL_TOKEN, internalCall } from './server.mjs';
import { fmt, inParallel, latency } from './stats.mjs';

const HOUR_MS = 3_600_000;
const SEED_PER_CALL = 500;
/** settlement_alarm.ts: alarms are jittered over minutes 1-6 after the hour, and never sooner than 60 s from now. */
const JITTER_END_MS = 6 * 60_000;
const MIN_DELAY_MS = 60_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Hourly settlement of many workspaces, each with a running instance, measured two ways in the
 * same run, each beside the trivial route's p50 on the same server:
 *
 * - by their own alarms (how a deployment settles): workspaces created and started `closedHours`
 *   hours ago (rows back-dated as the API would have written them then), so that their hours have
 *   closed by the wall clock; then each ledger object is loaded once and arms its alarm by the
 *   rules of settlement_alarm.ts (never sooner than 60 s from now: they all come due about a minute
 *   after being loaded), and the alarms fire on their own. Timed from the first alarm due to the
 *   last workspace settled. They come due over as long as loading the objects took (which costs
 *   about what settling does), so that time cannot be shorter than the loading; the server's CPU
 *   per workspace settled (wrangler and workerd, from /proc) is the comparable cost, reported for
 *   both ways.
 * - by the cron backstop's worst case: every workspace behind at once, the cron fired (through
 *   /__scheduled) with a time `closedHours` hours ahead, so each workspace has that many closed
 *   hours to settle (an instance cannot start before its workspace existed, so the hours are made
 *   by moving the cron forward, not the start back), through the Queue.
 *
 * And against a floor: the same number of objects of a minimal Worker on a server of its own, each
 * woken cold through a Queue to read its storage, write one D1 batch and set its alarm
 * (bench/cold_object_floor.mjs): what any design that settles each workspace in its own object
 * pays on this machine before doing any of the work (when `floorPort` is given).
 *
 * One closed hour is what settlement meets every hour (BENCH_SETTLE_HOURS, default 1). Setup goes
 * through bench-only routes (/__bench/running-workspaces: the rows the API would write, in one D1
 * batch per 500; /__bench/create-ledgers: each ledger object's storage created, as by its first
 * call; /__bench/wake-ledgers: each ledger object loaded once), not three API calls per workspace.
 * Setup is not measured.
 */
export async function benchSettlement(server, workspaceCount, closedHours = 1, floorPort = null) {
  const { baseUrl, cpuSeconds } = server;
  const floor = await latency(async () => {
    const res = await fetch(`${baseUrl}/healthz`);
    await res.arrayBuffer();
  }, 300);
  const coldFloor = floorPort === null ? null : await measureColdObjectFloor(floorPort, workspaceCount);
  // The cron first: fired with a time ahead, it would also settle the alarm bench's workspaces.
  const cron = await settleByCron(baseUrl, cpuSeconds, workspaceCount, closedHours);
  const alarm = await settleByAlarms(baseUrl, cpuSeconds, workspaceCount, closedHours);
  const hoursLabel = `${closedHours} closed hour${closedHours === 1 ? '' : 's'} each`;
  const ratio = (r) =>
    `${fmt(r.perWorkspaceMs)} ms per workspace, ${fmt(r.perWorkspaceMs / floor.p50)}x the trivial p50 (goal: no more than 1x)${coldFloor ? `, ${fmt(r.perWorkspaceMs / coldFloor.perObjectMs)}x the cold-object floor` : ''}`;
  const cpu = (r) => (r.cpuMsPerWorkspace === null ? '' : `; server CPU ${fmt(r.cpuMsPerWorkspace)} ms per workspace`);
  const floorLines = coldFloor
    ? [
        `cold-object floor (${workspaceCount} objects of a minimal Worker, each woken cold through a Queue to read its storage, write one D1 batch and set its alarm): ${fmt(coldFloor.perObjectMs)} ms each = ${fmt(coldFloor.perObjectMs / floor.p50)}x the trivial p50${coldFloor.cpuMsPerObject === null ? '' : `; server CPU ${fmt(coldFloor.cpuMsPerObject)} ms each`} (its own server's trivial p50: ${fmt(coldFloor.trivialP50Ms)} ms)`,
      ]
    : [];
  return {
    name: `hourly settlement (${workspaceCount} workspaces with a running instance, ${hoursLabel}; trivial route p50 ${fmt(floor.p50)} ms)`,
    lines: [
      ...floorLines,
      `by their alarms (production): setup ${fmt(alarm.setupSeconds, 1)} s, objects loaded in ${fmt(alarm.wakeSeconds, 1)} s (not measured); alarms due over ${fmt(alarm.dueSpanSeconds, 1)} s${alarm.wakeOverlapSeconds > 0 ? ` (loading overlapped the first ${fmt(alarm.wakeOverlapSeconds, 1)} s of them)` : ''}`,
      `by their alarms: settled ${alarm.settled} of ${workspaceCount} in ${fmt(alarm.seconds, 2)} s from the first alarm due, ${fmt(alarm.lagSeconds, 2)} s after the last (goal: within 60 s); ${ratio(alarm)}${cpu(alarm)}`,
      `by the cron backstop: setup ${fmt(cron.setupSeconds, 1)} s (not measured); cron enqueued all in ${fmt(cron.enqueuedSeconds, 2)} s`,
      `by the cron backstop (cron → queue → ledger object → D1): settled ${cron.settled} of ${workspaceCount} in ${fmt(cron.seconds, 2)} s (goal: within 60 s); ${ratio(cron)}${cpu(cron)}`,
    ],
    ok: alarm.settled === workspaceCount && cron.settled === workspaceCount,
  };
}

const settledThrough = (baseUrl, throughMs) => async () =>
  (await (await fetch(`${baseUrl}/__bench/settled-bench-workspaces?through=${throughMs}`, { headers: { authorization: `Bearer ${INTERNAL_TOKEN}` } })).json()).settled;

/** Polls a cheap count of the bench's workspaces settled through `throughMs` (polling must not take the CPU the settlement needs). */
async function waitForSettled(count, expected) {
  let settled = await count();
  const deadline = Date.now() + 15 * 60_000;
  while (settled < expected && Date.now() < deadline) {
    await sleep(500);
    settled = await count();
  }
  return { settled, atMs: Date.now() };
}

async function seed(baseUrl, workspaceCount, body) {
  const chunks = Array.from({ length: Math.ceil(workspaceCount / SEED_PER_CALL) }, (_, i) => Math.min(SEED_PER_CALL, workspaceCount - i * SEED_PER_CALL));
  const ids = [];
  await inParallel(chunks, 2, async (count) => ids.push(...(await internalCall(baseUrl, 'POST', '/__bench/running-workspaces', { ...body, count })).workspaceIds));
  return ids;
}

async function settleByAlarms(baseUrl, cpuSeconds, workspaceCount, closedHours) {
  // Outside the first minutes of the hour (where the alarms would be spread over the jitter of
  // minutes 1-6), and far enough from its end that the hour does not turn over while we measure.
  const budgetMs = 120_000 + workspaceCount * 40;
  for (;;) {
    const nowMs = Date.now();
    const hourMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
    if (nowMs < hourMs + JITTER_END_MS - MIN_DELAY_MS + 5_000) {
      console.error(`settlement bench: waiting ${fmt((hourMs + JITTER_END_MS - MIN_DELAY_MS + 5_000 - nowMs) / 1000, 0)} s for the alarms' jitter window to pass`);
      await sleep(hourMs + JITTER_END_MS - MIN_DELAY_MS + 5_000 - nowMs);
    } else if (nowMs + budgetMs > hourMs + HOUR_MS) {
      console.error(`settlement bench: waiting ${fmt((hourMs + HOUR_MS - nowMs) / 1000, 0)} s for the next hour (not enough of this one left)`);
      await sleep(hourMs + HOUR_MS - nowMs);
    } else break;
  }
  const hourMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const createdAtMs = hourMs - closedHours * HOUR_MS;
  const count = settledThrough(baseUrl, hourMs);
  const before = await count();

  const setupStart = performance.now();
  const ids = await seed(baseUrl, workspaceCount, { startedAtMs: createdAtMs, createdAtMs, wake: false });
  const chunks = Array.from({ length: Math.ceil(ids.length / SEED_PER_CALL) }, (_, i) => ids.slice(i * SEED_PER_CALL, (i + 1) * SEED_PER_CALL));
  // The objects have existed since their workspaces' first calls: their storage is created here,
  // unloaded (no alarm yet), so that loading them below is not dominated by creating it.
  await inParallel(chunks, 2, (workspaceIds) => internalCall(baseUrl, 'POST', '/__bench/create-ledgers', { workspaceIds }));
  const setupSeconds = (performance.now() - setupStart) / 1000;
  const wakeStart = performance.now();
  let firstDueMs = Infinity;
  let lastDueMs = -Infinity;
  await inParallel(chunks, 2, async (workspaceIds) => {
    const due = await internalCall(baseUrl, 'POST', '/__bench/wake-ledgers', { workspaceIds });
    firstDueMs = Math.min(firstDueMs, due.firstDueMs);
    lastDueMs = Math.max(lastDueMs, due.lastDueMs);
  });
  const wakeEndMs = Date.now();
  const wakeSeconds = (performance.now() - wakeStart) / 1000;
  // The server's CPU from here on is settlement's (and the polling's) alone: per workspace settled
  // after the last object was loaded (all of them unless loading outlasted the first minute).
  const cpuAtWakeEnd = cpuSeconds();
  const settledAtWakeEnd = await count();

  const done = await waitForSettled(count, before + workspaceCount);
  const cpuEnd = cpuSeconds();
  const seconds = (done.atMs - firstDueMs) / 1000;
  return {
    lagSeconds: (done.atMs - lastDueMs) / 1000,
    cpuMsPerWorkspace: cpuEnd === null || done.settled === settledAtWakeEnd ? null : ((cpuEnd - cpuAtWakeEnd) * 1000) / (done.settled - settledAtWakeEnd),
    setupSeconds,
    wakeSeconds,
    dueSpanSeconds: (lastDueMs - firstDueMs) / 1000,
    wakeOverlapSeconds: (wakeEndMs - firstDueMs) / 1000,
    settled: done.settled - before,
    seconds,
    perWorkspaceMs: (seconds * 1000) / workspaceCount,
  };
}

async function settleByCron(baseUrl, cpuSeconds, workspaceCount, closedHours) {
  const cronTimeMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS + closedHours * HOUR_MS;
  const setupStart = performance.now();
  await seed(baseUrl, workspaceCount, { startedAtMs: Date.now() });
  const setupSeconds = (performance.now() - setupStart) / 1000;

  // The seeded workspaces settled through the cron's hour.
  const count = settledThrough(baseUrl, cronTimeMs);
  const before = await count();
  const cpuStart = cpuSeconds();
  const start = performance.now();
  const cron = await fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent('0 * * * *')}&time=${cronTimeMs}`);
  await cron.arrayBuffer();
  const enqueuedSeconds = (performance.now() - start) / 1000;
  const done = await waitForSettled(count, before + workspaceCount);
  const seconds = (performance.now() - start) / 1000;
  const cpuEnd = cpuSeconds();
  const cpuMsPerWorkspace = cpuEnd === null ? null : ((cpuEnd - cpuStart) * 1000) / workspaceCount;
  return { setupSeconds, enqueuedSeconds, settled: done.settled - before, seconds, perWorkspaceMs: (seconds * 1000) / workspaceCount, cpuMsPerWorkspace };
}
