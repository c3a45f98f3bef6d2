import { internalCall } from './server.mjs';
import { fmt, percentile } from './stats.mjs';

/**
 * History pages of one workspace with `entries` ledger entries (seeded straight into D1 through the
 * bench route), against the trivial route, one connection: the first page, pages filtered by a
 * common and a rare type and status, and a page deep in the ledger (by cursor). p99 is the goal.
 */
export async function benchHistory(baseUrl, entries, samples) {
  const created = await internalCall(baseUrl, 'POST', '/internal/v1/workspaces', { name: 'history bench', admin: { name: 'Bench', email: 'history@example.com' } });
  const ws = created.workspace.id;
  const balanceMicros = 50_000_000;
  await internalCall(baseUrl, 'POST', '/internal/v1/adjustments', { id: 'history-grant', workspaceId: ws, amountMicros: balanceMicros, description: 'bench grant' });
  const chunk = 10_000;
  for (let from = 0; from < entries; from += chunk) {
    await internalCall(baseUrl, 'POST', '/__bench/seed-ledger', { workspaceId: ws, from, count: Math.min(chunk, entries - from), balanceMicros });
  }
  // A cursor halfway down the ledger: the page a reader reaches by paging, without paging there.
  const cursorSeq = (cursor) => Number(/^v1:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString())[1]);
  const first = await fetch(`${baseUrl}/v1/billing/credits/history?limit=50`, { headers: { authorization: `Bearer ${created.apiKey}` } }).then((r) => r.json());
  const deep = Buffer.from(`v1:${cursorSeq(first.nextCursor) - Math.floor(entries / 2)}`).toString('base64').replace(/=+$/, '');
  const pages = [
    ['first page', ''],
    ['type=usage', 'type=usage'],
    ['type=deposit (rare)', 'type=deposit'],
    ['status=pending (rare)', 'status=pending'],
    ['type=deposit&status=failed (rare)', 'type=deposit&status=failed'],
    ['type=refund (none)', 'type=refund'],
    ['a page halfway down (cursor)', `cursor=${deep}`],
  ];
  // The public API allows 1,200 requests a minute per key: one key per page kind. The kinds are
  // sampled in turn (trivial route included), so that the machine's load weighs on all alike.
  const kinds = [['trivial route', null, () => fetch(`${baseUrl}/healthz`)]];
  for (const [name, query] of pages) {
    const key = await internalCall(baseUrl, 'POST', `/internal/v1/workspaces/${ws}/api-keys`, { memberId: created.member.id });
    const headers = { authorization: `Bearer ${key.apiKey}` };
    kinds.push([name, query, () => fetch(`${baseUrl}/v1/billing/credits/history?limit=50${query ? `&${query}` : ''}`, { headers })]);
  }
  // For reference: an authenticated public route that reads no D1 table after the key (the credit
  // summary comes from the ledger object's memory): what authentication alone adds.
  const refKey = await internalCall(baseUrl, 'POST', `/internal/v1/workspaces/${ws}/api-keys`, { memberId: created.member.id });
  kinds.push(['(reference) GET /v1/billing/credits', 'credits', () => fetch(`${baseUrl}/v1/billing/credits`, { headers: { authorization: `Bearer ${refKey.apiKey}` } })]);
  const samplesMs = kinds.map(() => []);
  const rows = kinds.map(() => 0);
  for (let round = -20; round < samples; round++) {
    for (const [k, [, , request]] of kinds.entries()) {
      const startMs = performance.now();
      const res = await request();
      if (!res.ok) throw new Error(`${kinds[k][0]} answered ${res.status}: ${await res.text()}`);
      const body = await res.text();
      if (round >= 0) samplesMs[k].push(performance.now() - startMs);
      if (k > 0) rows[k] = JSON.parse(body).data?.length ?? 0;
    }
  }
  const stats = samplesMs.map((xs) => {
    xs.sort((a, b) => a - b);
    return { p50: percentile(xs, 50), p99: percentile(xs, 99) };
  });
  const floor = stats[0];
  const lines = [`${entries} ledger entries in one workspace; trivial route p50 ${fmt(floor.p50)} ms p99 ${fmt(floor.p99)} ms (n=${samples}, kinds sampled in turn)`];
  let worstP99 = 0;
  for (let k = 1; k < kinds.length; k++) {
    const page = stats[k];
    if (kinds[k][1] !== 'credits') worstP99 = Math.max(worstP99, page.p99 / floor.p99);
    lines.push(`${kinds[k][0].padEnd(36)} p50 ${fmt(page.p50)} ms = ${fmt(page.p50 / floor.p50)}x  p99 ${fmt(page.p99)} ms = ${fmt(page.p99 / floor.p99)}x trivial  (${rows[k]} rows)`);
  }
  lines.push(`worst p99 ratio ${fmt(worstP99)}x (goal: within 2x)`);
  return { name: `history pages with ${entries} entries (1 connection, ${samples} samples each)`, lines };
}
