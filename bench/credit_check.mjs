import { internalCall } from './server.mjs';
import { fmt, interleavedLatency } from './stats.mjs';

// Credit-check latency against the floor of a trivial route on the same server, measured in the
// same run (the two sampled in turn), so that the ratio means something on any machine.
export async function benchCreditCheck(baseUrl, samples) {
  const created = await internalCall(baseUrl, 'POST', '/internal/v1/workspaces', { name: 'bench', admin: { name: 'Bench', email: 'bench@example.com' } });
  const ws = created.workspace.id;
  await internalCall(baseUrl, 'POST', '/internal/v1/adjustments', { id: 'bench-grant', workspaceId: ws, amountMicros: 100_000_000, description: 'bench grant' });
  const headers = { authorization: 'Bearer bench-internal-token' };
  // Sampled in turn with the trivial route: measured one after the other, a burst of load on the
  // machine during either half (the server settling after its start, another process) moved the
  // ratio from 1.07x to 1.52x between runs of the same code.
  const [floor, check] = await interleavedLatency(
    [
      async () => {
        const res = await fetch(`${baseUrl}/healthz`);
        await res.arrayBuffer();
      },
      async () => {
        const res = await fetch(`${baseUrl}/internal/v1/workspaces/${ws}/credit-check?amountMicros=1000`, { headers });
        if (!res.ok) throw new Error(`credit-check answered ${res.status}`);
        await res.arrayBuffer();
      },
    ],
    samples,
  );
  return {
    name: 'credit check latency (1 connection)',
    lines: [
      `trivial route  p50 ${fmt(floor.p50)} ms  p99 ${fmt(floor.p99)} ms  (n=${floor.count})`,
      `credit-check   p50 ${fmt(check.p50)} ms  p99 ${fmt(check.p99)} ms  (n=${check.count})`,
      `ratio p50 ${fmt(check.p50 / floor.p50)}x  p99 ${fmt(check.p99 / floor.p99)}x  (goal: p50 within 1.4x)`,
    ],
  };
}
