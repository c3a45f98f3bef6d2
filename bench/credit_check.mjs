import { internalCall } from './server.mjs';
import { fmt, inParallel, interleavedLatency } from './stats.mjs';

/** Grants made to the many-blocks workspace, each its own credit block (issue 24's 1,000 open blocks). */
const MANY_BLOCKS = Number(process.env.BENCH_OPEN_BLOCKS ?? 1_000);

async function benchWorkspace(baseUrl, name) {
  const created = await internalCall(baseUrl, 'POST', '/internal/v1/workspaces', { name, admin: { name: 'Bench', email: 'bench@example.com' } });
  return created.workspace.id;
}

// Credit-check latency against the floor of a trivial route on the same server, measured in the
// same run (the three sampled in turn), so that the ratio means something on any machine: a
// workspace with one credit block, and one with MANY_BLOCKS open blocks of mixed priority, expiry
// and category (a check must not grow with the blocks: it reads the spendable sum kept in memory).
export async function benchCreditCheck(baseUrl, samples) {
  const oneBlock = await benchWorkspace(baseUrl, 'bench');
  await internalCall(baseUrl, 'POST', '/internal/v1/adjustments', { id: 'bench-grant', workspaceId: oneBlock, amountMicros: 100_000_000, description: 'bench grant' });
  const manyBlocks = await benchWorkspace(baseUrl, 'bench blocks');
  const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
  await inParallel(Array.from({ length: MANY_BLOCKS }, (_, i) => i), 8, (i) =>
    internalCall(baseUrl, 'POST', '/internal/v1/grants', {
      id: `bench-block-${i}`,
      workspaceId: manyBlocks,
      amountMicros: 100_000 + i,
      description: 'bench block',
      category: i % 2 === 0 ? 'promotional' : 'paid',
      priority: i % 101,
      ...(i % 3 === 0 ? { expiresAt } : {}),
    }),
  );
  const headers = { authorization: 'Bearer bench-internal-token' };
  const check = (ws) => async () => {
    const res = await fetch(`${baseUrl}/internal/v1/workspaces/${ws}/credit-check?amountMicros=1000`, { headers });
    if (!res.ok) throw new Error(`credit-check answered ${res.status}`);
    await res.arrayBuffer();
  };
  // Sampled in turn with the trivial route: measured one after the other, a burst of load on the
  // machine during either half (the server settling after its start, another process) moved the
  // ratio from 1.07x to 1.52x between runs of the same code.
  const [floor, one, many] = await interleavedLatency(
    [
      async () => {
        const res = await fetch(`${baseUrl}/healthz`);
        await res.arrayBuffer();
      },
      check(oneBlock),
      check(manyBlocks),
    ],
    samples,
  );
  return {
    name: 'credit check latency (1 connection)',
    lines: [
      `trivial route  p50 ${fmt(floor.p50)} ms  p99 ${fmt(floor.p99)} ms  (n=${floor.count})`,
      `credit-check   p50 ${fmt(one.p50)} ms  p99 ${fmt(one.p99)} ms  (1 credit block)`,
      `credit-check   p50 ${fmt(many.p50)} ms  p99 ${fmt(many.p99)} ms  (${MANY_BLOCKS} open credit blocks)`,
      `ratio p50 ${fmt(one.p50 / floor.p50)}x  p99 ${fmt(one.p99 / floor.p99)}x  (1 block; goal: p50 within 1.4x)`,
      `ratio p50 ${fmt(many.p50 / floor.p50)}x  p99 ${fmt(many.p99 / floor.p99)}x  (${MANY_BLOCKS} blocks; goal: p50 within 1.3x)`,
    ],
  };
}
