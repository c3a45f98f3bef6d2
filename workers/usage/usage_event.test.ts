// The usage event's canonical text: the fingerprint that tells a replay from a changed event is
// taken over it, so it must stay exactly what `canonicalJson` wrote for events stored before.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../lib/crypto';
import { CANONICAL_EVENT_KEYS, canonicalEventJson, normalizeEvent, UsageEventSchema, type UsageEvent } from './usage_event';

const parsed = (body: Record<string, unknown>): UsageEvent => UsageEventSchema.parse(body);

const EVENTS: UsageEvent[] = [
  parsed({ id: 'e1', workspaceId: 'ws_a', type: 'tool_execution' }),
  parsed({ id: 'e2', workspaceId: 'ws_a', type: 'model', model: 'gpt-4o-mini', inputTokens: 1000, outputTokens: 0 }),
  parsed({
    id: 'e3:x.y-z_1',
    workspaceId: 'ws_b',
    memberId: 'mem_1',
    occurredAt: '2026-11-30T10:15:00.123+01:00',
    type: 'model',
    model: 'claude-3-5-sonnet',
    inputTokens: 500_000_000,
    outputTokens: 7,
    byok: true,
    description: 'évènement "quoted" \\ 🚀',
  }),
  parsed({ id: 'e4', workspaceId: 'ws_c', type: 'charge', amountMicros: 1, description: 'GPU minutes, « 10 % » off' }),
  parsed({ id: 'e5', workspaceId: 'ws_c', type: 'model', model: 'm', byok: false }),
];

describe('canonicalEventJson', () => {
  it.each(EVENTS.map((e) => [e.id, e] as const))('writes %s exactly as canonicalJson does', (_, event) => {
    expect(canonicalEventJson(event)).toBe(canonicalJson(event));
    expect(JSON.parse(canonicalEventJson(event))).toEqual(event);
  });

  it('lists every key of the schema, in the order canonicalJson sorts them (UTF-16 code units, as sort() does)', () => {
    expect([...CANONICAL_EVENT_KEYS]).toEqual(Object.keys(UsageEventSchema.shape).sort());
  });

  it('drops keys the schema does not know, as parsing does, so they never change a fingerprint', () => {
    const withExtra = parsed({ id: 'e6', workspaceId: 'ws_a', type: 'tool_execution', extra: 'ignored' });
    expect(canonicalEventJson(withExtra)).toBe('{"id":"e6","type":"tool_execution","workspaceId":"ws_a"}');
  });

  it('gives a changed event another fingerprint and the same event the same one', () => {
    const nowMs = Date.parse('2026-11-30T12:00:00Z');
    const a = normalizeEvent(EVENTS[1]!, nowMs, 0);
    expect(normalizeEvent(parsed({ ...EVENTS[1]! }), nowMs + 1, 0).requestHash).toBe(a.requestHash);
    expect(normalizeEvent(parsed({ ...EVENTS[1]!, outputTokens: 1 }), nowMs, 0).requestHash).not.toBe(a.requestHash);
  });
});
