// The `holds` suite (BENCH_ONLY=holds): holds against the credit check they extend, on one server.
//   hold p50 at 1 connection, next to the credit check's p50 (sampled in turn, so a change in the
//     machine's load weighs on both alike); the goal: within 1.5x;
//   holds and their captures into one workspace at `connections` at a time, next to the trivial
//     route; the goal: at least 0.5x its requests per second;
//   every hold and capture accounted for exactly: the balance afterwards is the grant less what
//     was captured, and nothing stays held.
import { INTERNAL_TOKEN, internalCall } from './server.mjs';
import { fmt, interleavedLatency, throughput } from './stats.mjs';

const headers = { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' };

async function call(url, method, body) {
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status !== 200 && res.status !== 201) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

export async function benchHolds(baseUrl, { samples, holds, connections }) {
  const created = await internalCall(baseUrl, 'POST', '/internal/v1/workspaces', { name: 'holds bench', admin: { name: 'Bench', email: 'holds@example.com' } });
  const ws = created.workspace.id;
  const grantMicros = 900_000_000_000;
  await internalCall(baseUrl, 'POST', '/internal/v1/adjustments', { id: 'holds-grant', workspaceId: ws, amountMicros: grantMicros, description: 'bench grant' });
  let made = 0;
  let capturedMicros = 0;
  const hold = async () => {
    const id = `h-${made++}`;
    await call(`${baseUrl}/internal/v1/holds`, 'POST', { id, workspaceId: ws, amountMicros: 5_000, ttlSeconds: 600 });
    return id;
  };
  const capture = async (id) => {
    await call(`${baseUrl}/internal/v1/holds/${id}/capture`, 'POST', { amountMicros: 3_000 });
    capturedMicros += 3_000;
  };
  const check = async () => {
    const res = await fetch(`${baseUrl}/internal/v1/workspaces/${ws}/credit-check?amountMicros=1000`, { headers });
    await res.arrayBuffer();
  };
  let floorWrites = 0;
  const objectWrite = async () => {
    const res = await fetch(`${baseUrl}/__bench/object-write`, { method: 'POST', headers, body: JSON.stringify({ id: `w-${floorWrites++}`, workspaceId: ws, amountMicros: 5_000, ttlSeconds: 600 }) });
    await res.arrayBuffer();
  };
  const held = [];
  const [checkLatency, holdLatency, writeLatency] = await interleavedLatency([check, async () => held.push(await hold()), objectWrite], samples);

  const trivialPerSecond = await throughput(async () => {
    const res = await fetch(`${baseUrl}/healthz`);
    await res.arrayBuffer();
  }, Math.max(holds * 2, 2_000), connections);
  // Each unit of work: one hold, then its capture (two requests).
  const pairsPerSecond = await throughput(async () => capture(await hold()), holds, connections);
  // The holds made for the latency samples are captured too, so the books close.
  await Promise.all(held.map((id) => capture(id)));

  const balance = await call(`${baseUrl}/internal/v1/workspaces/${ws}/credit-check?amountMicros=0`, 'GET');
  const active = await call(`${baseUrl}/internal/v1/workspaces/${ws}/holds`, 'GET');
  const exact = balance.balanceMicros === grantMicros - capturedMicros && active.data.length === 0;
  const requestsPerSecond = pairsPerSecond * 2;
  return {
    name: `holds (${samples} samples at 1 connection; ${holds} holds and captures at ${connections} connections)`,
    lines: [
      `credit check p50 ${fmt(checkLatency.p50)} ms (p99 ${fmt(checkLatency.p99)}); hold p50 ${fmt(holdLatency.p50)} ms (p99 ${fmt(holdLatency.p99)}) = ${fmt(holdLatency.p50 / checkLatency.p50)}x the credit check (goal <= 1.5x)`,
      `durable-write floor (one row in an object's SQLite, answered) p50 ${fmt(writeLatency.p50)} ms = ${fmt(writeLatency.p50 / checkLatency.p50)}x the credit check; the hold = ${fmt(holdLatency.p50 / writeLatency.p50)}x that floor`,
      `trivial route ${fmt(trivialPerSecond, 0)} req/s; holds and captures into one workspace ${fmt(requestsPerSecond, 0)} req/s = ${fmt(requestsPerSecond / trivialPerSecond)}x trivial (goal >= 0.5x)`,
      `every hold and capture accounted for exactly: ${exact ? 'yes' : `MISMATCH (balance ${balance.balanceMicros}, expected ${grantMicros - capturedMicros}; ${active.data.length} still held)`}`,
    ],
    ok: exact,
  };
}
