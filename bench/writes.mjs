import { INTERNAL_TOKEN, internalCall } from './server.mjs';
import { fmt, latency, throughput } from './stats.mjs';

const headers = { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' };

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/**
 * Money writes against one server: the trivial route's throughput (the floor of this machine and
 * this many connections), deductions into one workspace (one ledger object), and usage events into
 * one workspace in batches of 100. Run once on a plain server and once with D1 latency injected.
 */
export async function measureWrites(baseUrl, { deductions, events, connections, wideConnections, label }) {
  const created = await internalCall(baseUrl, 'POST', '/internal/v1/workspaces', { name: `writes ${label}`, admin: { name: 'Bench', email: 'writes@example.com' } });
  const ws = created.workspace.id;
  await internalCall(baseUrl, 'POST', '/internal/v1/adjustments', { id: 'writes-grant', workspaceId: ws, amountMicros: 900_000_000_000, description: 'bench grant' });
  const deduction = (i) => ({ id: `d-${label}-${i}`, workspaceId: ws, amountMicros: 1_000, description: 'bench deduction' });
  // Warm-up: the object, its state and the route, outside the measurement.
  for (let i = 0; i < 20; i++) await post(`${baseUrl}/internal/v1/deductions`, deduction(`warm-${i}`));

  const trivialPerSecond = await throughput(async () => {
    const res = await fetch(`${baseUrl}/healthz`);
    await res.arrayBuffer();
  }, Math.max(deductions, 2_000), connections);
  // A round trip to the ledger object that needs no D1: what the object's RPC alone costs here.
  const creditChecksPerSecond = await throughput(async () => {
    const res = await fetch(`${baseUrl}/internal/v1/workspaces/${ws}/credit-check?amountMicros=1000`, { headers });
    await res.arrayBuffer();
  }, Math.max(deductions, 2_000), connections);
  const deductionsPerSecond = await throughput((i) => post(`${baseUrl}/internal/v1/deductions`, deduction(i)), deductions, connections);
  // With more callers at once, groups grow: what one workspace takes when D1 is the limit.
  const wideDeductionsPerSecond = await throughput((i) => post(`${baseUrl}/internal/v1/deductions`, deduction(`wide-${i}`)), deductions, wideConnections);
  const floor = await latency(async () => {
    const res = await fetch(`${baseUrl}/healthz`);
    await res.arrayBuffer();
  }, 200);
  let serial = 0;
  const single = await latency(() => post(`${baseUrl}/internal/v1/deductions`, deduction(`serial-${serial++}`)), 200);
  // Every deduction taken exactly once (the latency helper warms up with 50 more of each).
  const balance = await fetch(`${baseUrl}/internal/v1/workspaces/${ws}/credit-check?amountMicros=0`, { headers }).then((r) => r.json());
  const balanceOk = balance.balanceMicros === 900_000_000_000 - (20 + 2 * deductions + serial) * 1_000;
  // Deposits opened and closed (two grouped writes each, as a Checkout top-up and its webhook),
  // and resources started then stopped (two requests, two grouped writes), `connections` at a time.
  const pairs = Math.min(deductions, 1_000);
  const depositsPerSecond = await throughput((i) => post(`${baseUrl}/__bench/deposit`, { workspaceId: ws, key: `checkout:bench-${label}-${i}`, amountMicros: 1_000 }), pairs, connections);
  const resourcesPerSecond = await throughput(async (i) => {
    const id = `res_bench_${label}_${i}`;
    await post(`${baseUrl}/internal/v1/resources`, { id, workspaceId: ws, kind: 'instance', instanceType: 'cpu-small' });
    await post(`${baseUrl}/internal/v1/resources/${id}/stop`, {});
  }, pairs, connections);
  const batches = [];
  for (let i = 0; i < events; i += 100) {
    batches.push({
      events: Array.from({ length: Math.min(100, events - i) }, (_, j) => ({ id: `w-${label}-${i + j}`, workspaceId: ws, type: 'model', model: 'gpt-4o-mini', inputTokens: 1000 + j, outputTokens: 200 })),
    });
  }
  const batchesPerSecond = await throughput((i) => post(`${baseUrl}/internal/v1/usage`, batches[i]), batches.length, connections);
  return {
    trivialPerSecond,
    creditChecksPerSecond,
    deductionsPerSecond,
    wideDeductionsPerSecond,
    eventsPerSecond: batchesPerSecond * 100,
    depositsPerSecond,
    resourcesPerSecond,
    deductionP50: single.p50,
    trivialP50: floor.p50,
    balanceOk,
  };
}

/** The `writes` suite: the same measurements without and with injected D1 latency, side by side. */
export async function benchWrites(plainUrl, delayedUrl, latencyMs, options) {
  const plain = await measureWrites(plainUrl, { ...options, label: 'plain' });
  const delayed = await measureWrites(delayedUrl, { ...options, label: 'delayed' });
  const row = (name, r) => [
    `${name}: trivial route ${fmt(r.trivialPerSecond, 0)} req/s`,
    `  credit checks (one workspace, no D1)  ${fmt(r.creditChecksPerSecond, 0)}/s = ${fmt(r.creditChecksPerSecond / r.trivialPerSecond)}x trivial`,
    `  deductions (one workspace)  ${fmt(r.deductionsPerSecond, 0)}/s = ${fmt(r.deductionsPerSecond / r.trivialPerSecond)}x trivial`,
    `  deductions (one workspace, ${options.wideConnections} connections)  ${fmt(r.wideDeductionsPerSecond, 0)}/s = ${fmt(r.wideDeductionsPerSecond / r.trivialPerSecond)}x trivial (at ${options.connections})`,
    `  deposits opened and closed (one workspace)  ${fmt(r.depositsPerSecond, 0)}/s = ${fmt((r.depositsPerSecond * 2) / r.trivialPerSecond)}x trivial in writes`,
    `  resources started and stopped (one workspace)  ${fmt(r.resourcesPerSecond, 0)}/s = ${fmt((r.resourcesPerSecond * 2) / r.trivialPerSecond)}x trivial in requests`,
    `  usage events (one workspace, batches of 100)  ${fmt(r.eventsPerSecond, 0)}/s = ${fmt((r.eventsPerSecond / 100) / r.trivialPerSecond)}x trivial in requests`,
    `  one deduction at 1 connection  p50 ${fmt(r.deductionP50)} ms = ${fmt(r.deductionP50 / r.trivialP50)}x trivial p50 (${fmt(r.trivialP50)} ms)`,
  ];
  return {
    name: `money writes (${options.deductions} deductions, ${options.events} events, ${options.connections} connections), without and with ${latencyMs} ms per D1 round trip`,
    lines: [
      ...row('no injected latency', plain),
      ...row(`${latencyMs} ms per D1 round trip of the ledger object`, delayed),
      `goals: deductions >= 0.5x trivial without latency; >= 500/s with 25 ms`,
      `  (deductions are answered once durable in the ledger object's own SQLite and reach D1 behind their answers; ${options.connections} callers that each waited for their own D1 write could do at most ${fmt((options.connections * 1000) / latencyMs, 0)}/s)`,
      `every deduction taken exactly once: ${plain.balanceOk && delayed.balanceOk ? 'yes' : 'MISMATCH'}`,
    ],
    ok: plain.balanceOk && delayed.balanceOk,
  };
}
