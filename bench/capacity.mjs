import { INTERNAL_TOKEN, internalCall } from './server.mjs';
import { fmt, inParallel } from './stats.mjs';

const HOUR_MS = 3_600_000;
const D1_CAP_BYTES = 10 * 1024 ** 3; // a D1 database's size limit
const headers = { authorization: `Bearer ${INTERNAL_TOKEN}` };

// The bytes of all ledger shards together (the directory apart): per-entry and per-hour figures are
// what one shard grows by for each of its workspaces, whichever shard that is.
const counts = async (baseUrl) => (await fetch(`${baseUrl}/__bench/counts`, { headers })).json();
const d1Bytes = async (baseUrl) => (await counts(baseUrl)).d1Bytes;

/**
 * What a ledger shard grows by, measured with D1's own size: per ledger entry (a grant or a
 * deduction; a Checkout deposit's session row is in the directory, not the shard), and per settled
 * workspace-hour with usage (an instance, a volume, two models and tool executions: its `usage`
 * entry, its priced lines and its per-member rollups; the raw events stay in the workspace's
 * object). Then how many workspace-months one 10 GB shard holds, and how many shards a platform of
 * 10k / 100k / 1M active workspaces needs for a year, at `entriesPerMonth` ledger
 * entries and 24 × 30 settled hours a month per active workspace.
 */
export async function benchCapacity(baseUrl, workspaceCount, entriesPerMonth) {
  const ids = Array.from({ length: workspaceCount }, (_, i) => i);
  const wsIds = [];
  await inParallel(ids, 16, async (i) => {
    const created = await internalCall(baseUrl, 'POST', '/internal/v1/workspaces', { id: `cap-${i}`, name: `capacity ${i}`, admin: { name: 'C', email: `cap${i}@example.com` } });
    wsIds[i] = created.workspace.id;
  });

  // Ledger entries: a grant and a deduction per workspace.
  let before = await d1Bytes(baseUrl);
  await inParallel(ids, 16, async (i) => {
    await internalCall(baseUrl, 'POST', '/internal/v1/adjustments', { id: `cap-grant-${i}`, workspaceId: wsIds[i], amountMicros: 50_000_000, description: 'Capacity grant' });
    await internalCall(baseUrl, 'POST', '/internal/v1/deductions', { id: `cap-charge-${i}`, workspaceId: wsIds[i], amountMicros: 120_000, description: 'GPU snapshot export' });
  });
  const bytesPerEntry = ((await d1Bytes(baseUrl)) - before) / (2 * workspaceCount);

  // Settled hours with usage: the current hour and the next, settled by a cron two hours ahead.
  await inParallel(ids, 16, async (i) => {
    const ws = wsIds[i];
    await internalCall(baseUrl, 'POST', '/internal/v1/resources', { id: `res_cap_i_${i}`, workspaceId: ws, kind: 'instance', instanceType: 'cpu-small' });
    await internalCall(baseUrl, 'POST', '/internal/v1/resources', { id: `res_cap_v_${i}`, workspaceId: ws, kind: 'volume', sizeBytes: 20_000_000_000 });
    await internalCall(baseUrl, 'POST', '/internal/v1/usage', {
      events: [
        { id: `cap-m1-${i}`, workspaceId: ws, type: 'model', model: 'gpt-4o-mini', inputTokens: 4_000, outputTokens: 900 },
        { id: `cap-m2-${i}`, workspaceId: ws, type: 'model', model: 'claude-sonnet-4', inputTokens: 2_000, outputTokens: 500 },
        { id: `cap-t-${i}`, workspaceId: ws, type: 'tool_execution' },
      ],
    });
  });
  const settledBefore = (await (await fetch(`${baseUrl}/__bench/counts`, { headers })).json()).settledHours;
  before = await d1Bytes(baseUrl);
  const cronTimeMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS + 2 * HOUR_MS;
  await (await fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent('0 * * * *')}&time=${cronTimeMs}`)).arrayBuffer();
  const expected = settledBefore + 2 * workspaceCount;
  let settled = settledBefore;
  for (const deadline = Date.now() + 10 * 60_000; settled < expected && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 250));
    settled = (await (await fetch(`${baseUrl}/__bench/counts`, { headers })).json()).settledHours;
  }
  const bytesPerHour = ((await d1Bytes(baseUrl)) - before) / (settled - settledBefore);
  const perShard = (await counts(baseUrl)).shardBytes;

  const bytesPerWorkspaceMonth = 24 * 30 * bytesPerHour + entriesPerMonth * bytesPerEntry;
  const workspaceMonthsPerDb = D1_CAP_BYTES / bytesPerWorkspaceMonth;
  const databasesForAYear = (active) => Math.ceil((active * 12) / workspaceMonthsPerDb);
  return {
    name: `ledger capacity of one ledger shard (${workspaceCount} workspaces over ${perShard.length} shards, measured with D1's size_after)`,
    lines: [
      `per ledger entry (grant or deduction)         ${fmt(bytesPerEntry, 0)} bytes`,
      `per settled workspace-hour with usage          ${fmt(bytesPerHour, 0)} bytes (entry, lines, rollups; events stay in the object)`,
      `per active workspace-month (720 hours, ${entriesPerMonth} entries) ${fmt(bytesPerWorkspaceMonth / 1024, 0)} KiB`,
      `one 10 GB shard holds ${fmt(workspaceMonthsPerDb, 0)} active workspace-months`,
      `shards for a year: 10k active ${databasesForAYear(10_000)}, 100k ${databasesForAYear(100_000)}, 1M ${databasesForAYear(1_000_000)}`,
      `bytes per shard now: ${perShard.map((b) => fmt(b / 1024, 0) + ' KiB').join(', ')}`,
      `settled ${settled - settledBefore} of ${expected - settledBefore} workspace-hours`,
    ],
    ok: settled === expected,
  };
}
