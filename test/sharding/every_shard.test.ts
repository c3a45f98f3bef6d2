// The work that visits every workspace visits every shard: the hourly cron finds the workspaces
// with closed hours to settle on each of the 4 shards, and the outbox sweep hands each shard's stale
// events to the queue naming that shard (so delivery reads that one shard only).
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env, NotificationMessage } from '../../workers/env';
import { sweepOutbox } from '../../workers/notifications/sweep_outbox';
import { shardFor } from '../../workers/storage/placement';
import { createWorkspace, unique, type TestWorkspace } from '../helpers/fixtures';
import { HOUR_MS, hourOf } from '../helpers/settlement';
import { shardD1Of } from '../helpers/ledger_checks';
import { cronWouldEnqueue, recordUsage, toolEvent } from '../settlement/settlement_helpers';

const NAMES = ['LEDGER_SHARD_0', 'LEDGER_SHARD_1', 'LEDGER_SHARD_2', 'LEDGER_SHARD_3'];

async function oneWorkspacePerShard(): Promise<Map<string, TestWorkspace>> {
  const byShard = new Map<string, TestWorkspace>();
  for (let i = 0; byShard.size < NAMES.length; i++) {
    if (i > 200) throw new Error('placement never reached every shard');
    const ws = await createWorkspace(`Every shard ${i}`);
    const shard = shardFor(ws.workspaceId, NAMES);
    if (!byShard.has(shard)) byShard.set(shard, ws);
  }
  return byShard;
}

describe('work over all workspaces', () => {
  it('the hourly cron enqueues the workspaces with a closed hour to settle, from every shard', async () => {
    const workspaces = await oneWorkspacePerShard();
    const ids = [...workspaces.values()].map((w) => w.workspaceId);
    const closedHourMs = hourOf(Date.now()) - HOUR_MS;
    await recordUsage(ids.map((id) => toolEvent(id, closedHourMs + 60_000)));
    const cutoffMs = hourOf(Date.now());
    const messages = await cronWouldEnqueue(cutoffMs, ids);
    expect(messages).toEqual([...ids].sort().map((workspaceId) => ({ workspaceId, cutoffMs })));
  });

  it('the outbox sweep re-enqueues stale events of every shard, each message naming its shard', async () => {
    const workspaces = await oneWorkspacePerShard();
    const staleAtMs = Date.now() - 5 * 60_000;
    const expected: NotificationMessage[] = [];
    for (const [shard, ws] of workspaces) {
      const id = unique('evt_sweep');
      await shardD1Of(ws.workspaceId)
        .prepare("INSERT INTO platform_events (id, workspace_id, type, data_json, created_at_ms) VALUES (?, ?, 'balance.low', '{}', ?)")
        .bind(id, ws.workspaceId, staleAtMs)
        .run();
      expected.push({ eventId: id, shard });
    }
    const sent: NotificationMessage[] = [];
    const capture = {
      sendBatch: async (messages: Iterable<MessageSendRequest<NotificationMessage>>) => {
        for (const m of messages) sent.push(m.body);
      },
    } as unknown as Queue<NotificationMessage>;
    const count = await sweepOutbox({ ...(env as unknown as Env), NOTIFICATION_QUEUE: capture }, Date.now());
    expect(count).toBe(sent.length);
    const mine = new Set(expected.map((e) => e.eventId));
    const byId = (a: NotificationMessage, b: NotificationMessage) => (a.eventId < b.eventId ? -1 : 1);
    expect(sent.filter((m) => mine.has(m.eventId)).sort(byId)).toEqual(expected.sort(byId));
  });
});
