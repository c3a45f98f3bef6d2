// EventStore: the oldest stored hour it keeps in memory (asked on every enforcement) is always what
// SQLite would say, across appends and prunes; its event table appends rows in arrival order and
// keeps the id unique in its own index, and an object that stored its events keyed by id (the
// earlier layout) moves them once when it starts.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { EventRow } from '../../usage/roll_up';
import { EventStore } from './event_store';

const H = Date.UTC(2026, 10, 20, 10);
const HOUR = 3_600_000;
const row = (eventId: string, hourMs: number): EventRow => ({
  eventId,
  requestHash: `hash-${eventId}`,
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

const objectNamed = (name: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(`${name}-${Date.now()}-${Math.random()}`));

describe('EventStore layout', () => {
  it('pages an hour in arrival order, whatever the ids, and refuses a repeated id', async () => {
    await runInDurableObject(objectNamed('event-store-order'), async (_instance, state) => {
      const store = new EventStore(state.storage);
      store.append([row('zeta', H), row('alpha', H), row('other-hour', H + HOUR)], new Set(), new Map(), []);
      store.append([row('mid', H)], new Set(), new Map(), []);
      const first = store.eventsOfHour(H, 0, 2);
      expect(first.map((e) => e.eventId)).toEqual(['zeta', 'alpha']);
      expect(store.eventsOfHour(H, first[1]!.seq, 2).map((e) => e.eventId)).toEqual(['mid']);
      expect(store.knownHashes(['alpha', 'nope'])).toEqual(new Map([['alpha', 'hash-alpha']]));
      expect(() => store.append([row('alpha', H)], new Set(), new Map(), [])).toThrow(/UNIQUE/);
      expect(store.eventCount()).toBe(4);
    });
  });

  it('moves events stored keyed by id into the appended table once, in (hour, id) order', async () => {
    await runInDurableObject(objectNamed('event-store-upgrade'), async (_instance, state) => {
      const sql = state.storage.sql;
      // The object's constructor made today's table and marked its layout: put the earlier layout
      // in its place, as an object from before the marker has it.
      sql.exec('DROP TABLE usage_events');
      sql.exec('DROP TABLE usage_events_layout_2');
      sql.exec(`CREATE TABLE usage_events (
         event_id TEXT PRIMARY KEY, request_hash TEXT NOT NULL, hour_ms INTEGER NOT NULL, occurred_at_ms INTEGER NOT NULL,
         member_id TEXT NOT NULL, type TEXT NOT NULL, line_key TEXT NOT NULL, input_tokens INTEGER NOT NULL,
         output_tokens INTEGER NOT NULL, amount_micros INTEGER NOT NULL, price_version INTEGER NOT NULL, byok INTEGER NOT NULL,
         description TEXT) WITHOUT ROWID`);
      sql.exec('CREATE INDEX usage_events_hour ON usage_events (hour_ms, event_id)');
      for (const [id, hourMs] of [['b', H], ['a', H], ['c', H + HOUR]] as const) {
        sql.exec(`INSERT INTO usage_events VALUES (?, ?, ?, ?, '', 'tool_execution', 'tools', 0, 0, 0, 1, 0, NULL)`, id, `hash-${id}`, hourMs, hourMs + 1);
      }

      const store = new EventStore(state.storage);
      expect(store.eventsOfHour(H, 0, 10).map((e) => e.eventId)).toEqual(['a', 'b']);
      expect(store.eventsOfHour(H + HOUR, 0, 10).map((e) => e.eventId)).toEqual(['c']);
      expect(store.knownHashes(['a', 'b', 'c']).size).toBe(3);
      const tables = sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE name LIKE 'usage_events%' ORDER BY name`).toArray().map((t) => t.name);
      expect(tables).toEqual(['usage_events', 'usage_events_by_hour', 'usage_events_layout_2']);

      // A second start finds nothing to move; appends go on after the moved rows.
      const again = new EventStore(state.storage);
      again.append([row('d', H)], new Set(), new Map(), []);
      expect(again.eventsOfHour(H, 0, 10).map((e) => e.eventId)).toEqual(['a', 'b', 'd']);
      expect(again.eventCount()).toBe(4);
    });
  });

  it('a start that finds its layout marked runs none of the schema statements again', async () => {
    await runInDurableObject(objectNamed('event-store-marker'), async (_instance, state) => {
      const sql = state.storage.sql;
      const indexes = () => sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'usage_events_by_hour'`).toArray().length;
      // The object's constructor made the layout and marked it. Without its index, a start with
      // the marker in place leaves it missing (it read the marker only); without the marker, a
      // start brings the layout back whole.
      sql.exec('DROP INDEX usage_events_by_hour');
      new EventStore(state.storage);
      expect(indexes()).toBe(0);
      sql.exec('DROP TABLE usage_events_layout_2');
      new EventStore(state.storage);
      expect(indexes()).toBe(1);
    });
  });
});
