import { INTERNAL_TOKEN, internalCall } from './server.mjs';
import { fmt } from './stats.mjs';

const headers = { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' };

async function drive(url, bodies, connections) {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(url, { method: 'POST', headers, body });
        if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  return (performance.now() - start) / 1000;
}

/**
 * Usage ingestion through the real HTTP path (auth, validation, ledger object, group commit into
 * the object's own storage) into one workspace, in batches of 100, against two floors on the same
 * server with the same concurrency: the same requests accepted and answered with nothing done (no
 * design can ingest faster), and raw D1 inserts of the same rows (what the previous design wrote per
 * event; its full path reached 60-72% of this floor). And against the previous design itself, served
 * from its own commit in the same run. Also how many bytes each event adds to D1 and to the object's
 * storage.
 */
/** The request bodies of one ingestion run into workspace `ws` (ids: `ev-N`, or random UUIDs with BENCH_EVENT_IDS=uuid). */
function usageBatches(ws, totalEvents) {
  const batches = [];
  for (let i = 0; i < totalEvents; i += 100) {
    batches.push(
      Array.from({ length: Math.min(100, totalEvents - i) }, (_, j) => ({
        id: process.env.BENCH_EVENT_IDS === 'uuid' ? crypto.randomUUID() : `ev-${i + j}`,
        workspaceId: ws,
        type: 'model',
        model: 'gpt-4o-mini',
        inputTokens: 1000 + ((i + j) % 97),
        outputTokens: 200 + ((i + j) % 13),
      })),
    );
  }
  return batches;
}

const createBenchWorkspace = async (baseUrl) =>
  (await internalCall(baseUrl, 'POST', '/internal/v1/workspaces', { name: 'ingest bench', admin: { name: 'Bench', email: 'ingest@example.com' } })).workspace.id;

/** The same ingestion into the previous design's server (bench/previous_design.mjs): events/s. */
async function previousDesignRate(previousBaseUrl, totalEvents, connections) {
  const ws = await createBenchWorkspace(previousBaseUrl);
  await drive(`${previousBaseUrl}/internal/v1/usage`, [JSON.stringify({ events: [{ id: 'warm', workspaceId: ws, type: 'tool_execution' }] })], 1);
  const seconds = await drive(`${previousBaseUrl}/internal/v1/usage`, usageBatches(ws, totalEvents).map((events) => JSON.stringify({ events })), connections);
  return totalEvents / seconds;
}

export async function benchIngestion(baseUrl, totalEvents, connections, previous = { skipped: 'not asked' }) {
  const ws = await createBenchWorkspace(baseUrl);
  const eventBatches = usageBatches(ws, totalEvents);
  const batches = eventBatches.map((events) => JSON.stringify({ events }));
  const acceptBatches = eventBatches.map((events) => JSON.stringify({ events: events.map((e) => ({ ...e, id: `accept-${e.id}` })) }));
  const rawBatches = eventBatches.map((events) => JSON.stringify({ workspaceId: `ws_rawfloor`, events: events.map((e) => ({ ...e, id: `raw-${e.id}` })) }));
  // Warm every path so that none pays for a cold start inside the measurement (the floor that
  // stores nothing can take full batches to warm its parsing too).
  await drive(`${baseUrl}/internal/v1/usage`, [JSON.stringify({ events: [{ id: 'warm', workspaceId: ws, type: 'tool_execution' }] })], 1);
  await drive(`${baseUrl}/__bench/raw-usage-insert`, [JSON.stringify({ workspaceId: 'ws_rawfloor', events: [{ id: 'warm', model: 'm', inputTokens: 1, outputTokens: 1 }] })], 1);
  await drive(`${baseUrl}/__bench/accept-usage`, acceptBatches.slice(0, 20), 1);

  const counts = () => fetch(`${baseUrl}/__bench/counts?workspaceId=${ws}`, { headers }).then((r) => r.json());
  const acceptSeconds = await drive(`${baseUrl}/__bench/accept-usage`, acceptBatches, connections);
  const rawSeconds = await drive(`${baseUrl}/__bench/raw-usage-insert`, rawBatches, connections);
  const before = await counts();
  const apiSeconds = await drive(`${baseUrl}/internal/v1/usage`, batches, connections);
  const after = await counts();
  // The previous design last, on its own server: the same load, so the ratio is of this run.
  const previousRate = previous.baseUrl ? await previousDesignRate(previous.baseUrl, totalEvents, connections) : null;
  const stored = after.events - 1; // minus the warm-up event
  const apiRate = totalEvents / apiSeconds;
  const rawRate = totalEvents / rawSeconds;
  const acceptRate = totalEvents / acceptSeconds;
  const d1BytesPerEvent = (after.d1Bytes - before.d1Bytes) / totalEvents;
  const objectBytesPerEvent = (after.objectBytes - before.objectBytes) / totalEvents;
  return {
    name: `usage ingestion (${totalEvents} events, batches of 100, ${connections} connections)`,
    lines: [
      `accept floor     ${fmt(acceptRate, 0)} events/s  (${fmt(acceptSeconds)} s)  (the same requests answered with nothing done: no design can pass this)`,
      `raw D1 inserts   ${fmt(rawRate, 0)} events/s  (${fmt(rawSeconds)} s)  (the previous design reached 60-72% of this)`,
      `POST /usage      ${fmt(apiRate, 0)} events/s  (${fmt(apiSeconds)} s)`,
      `ratio ${fmt(apiRate / rawRate, 2)}x raw D1 inserts, ${fmt(apiRate / acceptRate, 2)}x the accept floor`,
      previousRate === null
        ? `previous design (events in D1): not measured (${previous.skipped})`
        : `previous design (events in D1, ${previous.ref.slice(0, 7)}) ${fmt(previousRate, 0)} events/s: this design is ${fmt(apiRate / previousRate, 2)}x it  (goal: >= 15000 events/s and >= 2x); 2x it would be ${fmt((2 * previousRate) / acceptRate, 2)}x the accept floor and ${fmt((2 * previousRate) / rawRate, 2)}x raw D1 inserts`,
      `D1 bytes/event ${fmt(d1BytesPerEvent, 2)} (goal < 1; was 271)   object storage bytes/event ${fmt(objectBytesPerEvent, 0)}`,
      `events stored ${stored} of ${totalEvents}: ${stored === totalEvents ? 'none lost' : 'MISMATCH'}`,
    ],
    ok: stored === totalEvents,
  };
}
