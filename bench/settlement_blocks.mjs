import { internalCall } from './server.mjs';
import { fmt } from './stats.mjs';

const HOUR_MS = 3_600_000;
const CHUNK = 100;

/**
 * What credit blocks cost settlement (issue 24: an hour drawing on 100 blocks at most 1.5x one
 * drawing on one block). Two sets of workspaces, each running one cpu-small instance for a whole
 * closed hour: one with its credit in a single block, one with it in 100 blocks (99 small ones
 * spent first, then the rest), so that each hour's charge is funded by 1 or by 100 blocks. The
 * hour is settled through each workspace's ledger object as the settlement queue's consumer asks
 * (/__bench/settle-ledgers), in chunks that alternate between the two sets, so that the machine's
 * load during the run weighs on both alike. Reports wall time and server CPU per workspace.
 */
export async function benchSettlementBlocks(server, workspaceCount) {
  const { baseUrl, cpuSeconds } = server;
  const nowMs = Date.now();
  const cutoffMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS + 2 * HOUR_MS;
  const seed = async (blocks) => {
    const ids = [];
    for (let left = workspaceCount; left > 0; left -= 500) {
      ids.push(...(await internalCall(baseUrl, 'POST', '/__bench/running-workspaces', { count: Math.min(500, left), startedAtMs: nowMs, blocks })).workspaceIds);
    }
    return ids;
  };
  const sets = [
    { blocks: 1, ids: await seed(1), ms: 0, cpu: 0 },
    { blocks: 100, ids: await seed(100), ms: 0, cpu: 0 },
  ];
  for (let i = 0; i < workspaceCount; i += CHUNK) {
    for (const set of i / CHUNK % 2 === 0 ? sets : [...sets].reverse()) {
      const cpuStart = cpuSeconds();
      const start = performance.now();
      const { settled } = await internalCall(baseUrl, 'POST', '/__bench/settle-ledgers', { workspaceIds: set.ids.slice(i, i + CHUNK), cutoffMs });
      set.ms += performance.now() - start;
      const cpuEnd = cpuSeconds();
      if (cpuStart !== null && cpuEnd !== null) set.cpu += cpuEnd - cpuStart;
      if (settled !== Math.min(CHUNK, workspaceCount - i)) throw new Error(`settled ${settled} of a chunk`);
    }
  }
  const [one, many] = sets.map((s) => ({ ...s, perMs: s.ms / workspaceCount, cpuMs: (s.cpu * 1000) / workspaceCount }));
  return {
    name: `settlement drawing on credit blocks (${workspaceCount} workspaces a set, each with a running cpu-small instance, the closed hours before ${new Date(cutoffMs).toISOString()})`,
    lines: [
      `1 block:    ${fmt(one.perMs)} ms per workspace; server CPU ${fmt(one.cpuMs)} ms`,
      `100 blocks: ${fmt(many.perMs)} ms per workspace; server CPU ${fmt(many.cpuMs)} ms`,
      `ratio 100 blocks / 1 block: ${fmt(many.perMs / one.perMs)}x wall, ${fmt(many.cpuMs / one.cpuMs)}x CPU (goal: at most 1.5x)`,
    ],
  };
}
