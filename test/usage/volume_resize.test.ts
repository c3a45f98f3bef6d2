import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace, grant } from '../helpers/fixtures';
import { HOUR_MS, hourOf } from '../helpers/settlement';
import { shardD1Of } from '../helpers/ledger_checks';

const GB = 1_000_000_000;

describe('volume resize', () => {
  it('meters each size for its own time; the hour is priced once', async () => {
    const ws = await createWorkspace('Resize');
    await grant(ws.workspaceId, 10_000_000);
    const h = hourOf(Date.now()) - 3 * HOUR_MS;
    const start = await internal('POST', '/internal/v1/resources', {
      id: 'vol-resize', workspaceId: ws.workspaceId, kind: 'volume', sizeBytes: 100 * GB, startedAt: new Date(h).toISOString(),
    });
    expect(start.status).toBe(201);
    const resized = await internal('POST', '/internal/v1/resources/vol-resize/resize', { sizeBytes: 200 * GB, at: new Date(h + HOUR_MS + 30 * 60_000).toISOString() });
    expect(resized.status).toBe(200);
    expect(resized.body).toMatchObject({ sizeBytes: 200 * GB, status: 'running' });
    // Same size again: nothing changes.
    expect((await internal('POST', '/internal/v1/resources/vol-resize/resize', { sizeBytes: 200 * GB })).status).toBe(200);
    const stop = await internal('POST', '/internal/v1/resources/vol-resize/stop', { stoppedAt: new Date(h + 2 * HOUR_MS).toISOString() });
    expect(stop.body).toMatchObject({ status: 'stopped' });

    const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(ws.workspaceId));
    const settled = await stub.settle(ws.workspaceId, h + 2 * HOUR_MS);
    expect(settled).toMatchObject({ ok: true, value: { settledHours: 2 } });

    // Storage at 100,000 µ per GB-month (730 h):
    //   hour 1: 100 GB × 1 h                   = 100 × 100,000 / 730 = 13,698.63… → 13,699
    //   hour 2: 100 GB × 0.5 h + 200 GB × 0.5 h = 150 × 100,000 / 730 = 20,547.94… → 20,548
    const { results } = await shardD1Of(ws.workspaceId).prepare(
      "SELECT amount_micros AS a FROM transactions WHERE workspace_id = ? AND idempotency_key LIKE 'settle:%' ORDER BY seq",
    )
      .bind(ws.workspaceId)
      .all<{ a: number }>();
    expect(results.map((r) => r.a)).toEqual([-13_699, -20_548]);
  });

  it('refuses to resize an instance or a stopped volume, and 404s an unknown id', async () => {
    const ws = await createWorkspace('Resize refusals');
    await grant(ws.workspaceId, 10_000_000);
    await internal('POST', '/internal/v1/resources', { id: 'inst-nores', workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'cpu-small' });
    const inst = await internal('POST', '/internal/v1/resources/inst-nores/resize', { sizeBytes: GB });
    expect(inst.status).toBe(400);
    expect(inst.body.error.message).toContain('sizeBytes');
    expect((await internal('POST', '/internal/v1/resources/nope/resize', { sizeBytes: GB })).status).toBe(404);
    expect((await internal('POST', '/internal/v1/resources/inst-nores/resize', { sizeBytes: 0 })).status).toBe(400);
  });
});
