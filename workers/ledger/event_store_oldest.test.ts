// EventStore keeps the oldest stored hour in memory (it is asked on every enforcement): the cached
// answer must always be what SQLite would say, across appends and prunes.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { EventRow } from '../usage/roll_up';
import { EventStore } from './event_store';

const H = Date.UTC(2026, 10, 20, 10);
const HOUR = 3_600_000;
const row = (eventId: string, hourMs: number): EventRow => ({
  eventId,
  requestHash: 'h',
  hourMs,
  occurredAtMs: hourMs + 1,
  memberId: '',
  type: 'tool_execution',
  lineKey: 'tools',
  inputTokens: 0,
  outputTokens: 0,
  amountMicros: 0,
  priceVersion: 1,
});

describe('EventStore.oldestEventHourMs', () => {
  it('follows appends and prunes as SQLite would answer', async () => {
    const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(`event-store-oldest-${Date.now()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const store = new EventStore(state.storage);
      const fromSql = () => state.storage.sql.exec<{ h: number | null }>('SELECT MIN(hour_ms) AS h FROM usage_events').one().h ?? null;
      const expectBoth = (hourMs: number | null) => {
        expect(store.oldestEventHourMs()).toBe(hourMs);
        expect(fromSql()).toBe(hourMs);
      };
      expectBoth(null);
      store.append([row('a', H + 2 * HOUR)], new Set(), new Map(), []);
      expectBoth(H + 2 * HOUR);
      store.append([row('b', H), row('c', H + HOUR)], new Set(), new Map(), []);
      expectBoth(H);
      expect(store.pruneBefore(H + HOUR)).toBe(1);
      expectBoth(H + HOUR);
      expect(store.pruneBefore(H)).toBe(0);
      expectBoth(H + HOUR);
      expect(store.pruneBefore(H + 3 * HOUR)).toBe(2);
      expectBoth(null);
      // A second store over the same storage (a rebuilt object) reads it afresh.
      store.append([row('d', H + 5 * HOUR)], new Set(), new Map(), []);
      expect(new EventStore(state.storage).oldestEventHourMs()).toBe(H + 5 * HOUR);
    });
  });
});
