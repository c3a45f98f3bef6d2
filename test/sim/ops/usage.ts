// Usage events through the internal API: new events (model calls, tool executions, charges),
// duplicates of events already sent (counted, never billed again), late events (hours back, into
// hours that may be settled: billed in the first open hour), and an id reused with another body
// (the whole request refused, nothing of it recorded).
import { internal } from '../../helpers/api';
import type { SimWorkspace, World } from '../world';
import { iso, type SimOp } from './op';

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4', 'llama-3.1-70b'];

function newEvent(w: World, ws: SimWorkspace, late: boolean): Record<string, unknown> {
  const backMs = late ? w.rng.int(60, 6 * 60) * 60_000 : w.rng.int(0, 50) * 60_000;
  const occurredAtMs = Math.max(ws.createdAtMs, w.clock.now() - backMs);
  const base = { id: w.nextId('evt'), workspaceId: ws.workspaceId, occurredAt: iso(occurredAtMs), ...(w.rng.chance(0.5) ? { memberId: w.rng.pick(ws.members).memberId } : {}) };
  const type = w.rng.int(0, 2);
  if (type === 0) return { ...base, type: 'model', model: w.rng.pick(MODELS), inputTokens: w.rng.int(0, 8_000), outputTokens: w.rng.int(0, 2_000) };
  if (type === 1) return { ...base, type: 'tool_execution' };
  return { ...base, type: 'charge', amountMicros: w.rng.int(1, 400_000), description: 'Sim charge' };
}

/** The same event id with another body: its time moved by a second (still inside the workspace's life). */
function moved(e: Record<string, unknown>, ws: SimWorkspace): Record<string, unknown> {
  const atMs = Date.parse(e.occurredAt as string);
  return { ...e, occurredAt: iso(atMs - 1_000 >= ws.createdAtMs ? atMs - 1_000 : atMs + 1_000) };
}

export const usageOps: SimOp[] = [
  {
    name: 'usage_events',
    weight: (w) => (w.workspaces.length > 0 ? 18 : 0),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const fresh: Record<string, unknown>[] = [];
      const repeated: Record<string, unknown>[] = [];
      const count = w.rng.int(1, 5);
      const late = w.rng.chance(0.15);
      for (let i = 0; i < count; i++) {
        const sent = [...ws.events.values()];
        if (sent.length > 0 && w.rng.chance(0.2)) repeated.push(w.rng.pick(sent));
        else fresh.push(newEvent(w, ws, late));
      }
      // Now and then an id already used, with another body: the request is refused whole.
      const conflicting = repeated.length > 0 && w.rng.chance(0.1);
      const events = [...fresh, ...repeated.map((e) => (conflicting ? moved(e, ws) : e))];
      const res = await internal('POST', '/internal/v1/usage', { events: w.rng.shuffle(events) });
      w.note('usage_events', `ws${ws.index} ${fresh.length} new, ${repeated.length} repeated${late ? ' (late)' : ''}${conflicting ? ' (conflicting)' : ''} → ${res.status}`);
      // Sent, even if the answer was lost to a fault: the event may be stored (a client resends it).
      for (const e of fresh) ws.sent.set(e.id as string, e);
      if (conflicting) {
        w.expectStatus('usage with a conflicting id', res.status, [409], res.body);
        return;
      }
      if (!w.expectStatus('usage', res.status, [200], res.body)) return;
      for (const e of fresh) ws.events.set(e.id as string, e);
      const distinctRepeats = new Set(repeated.map((e) => e.id)).size;
      if (res.body.accepted !== fresh.length || res.body.duplicates !== repeated.length) {
        w.observe('usage_billed_once', `ws${ws.index}: ${fresh.length} new and ${repeated.length} repeated (${distinctRepeats} distinct) answered accepted ${res.body.accepted}, duplicates ${res.body.duplicates}`);
      }
    },
  },
];
