import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, grant } from '../helpers/fixtures';
import { HOUR_MS, hourOf } from '../helpers/settlement';
import { shardD1Of } from '../helpers/ledger_checks';

describe('my-usage after a short balance', () => {
  it('shows the runtime that could not be covered as forgiven, and the rest as settled', async () => {
    const ws = await createWorkspace('Forgiven in my-usage');
    await grant(ws.workspaceId, 20_000);
    const h = hourOf(Date.now()) - 2 * HOUR_MS;
    // cpu-small at 36,000 µ/h for one whole hour, reported late: 36,000 against 20,000.
    const start = await internal('POST', '/internal/v1/resources', {
      id: 'res_forgiven', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, kind: 'instance', instanceType: 'cpu-small', startedAt: new Date(h).toISOString(),
    });
    expect(start.status).toBe(201);
    // The balance is gone the moment the start is recorded, so the instance is terminated at once
    // (now, in the current hour); the late stop report changes nothing. Settle everything.
    const stub = env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(ws.workspaceId));
    await internal('POST', '/internal/v1/resources/res_forgiven/stop', { stoppedAt: new Date(h + HOUR_MS).toISOString() });
    const settled = await stub.settle(ws.workspaceId, hourOf(Date.now()) + HOUR_MS);
    expect(settled.ok).toBe(true);

    const entries = await shardD1Of(ws.workspaceId).prepare("SELECT amount_micros AS a, forgiven_micros AS f FROM transactions WHERE workspace_id = ? AND idempotency_key LIKE 'settle:%'")
      .bind(ws.workspaceId)
      .all<{ a: number; f: number }>();
    const charged = -entries.results.reduce((s, r) => s + r.a, 0);
    const forgiven = entries.results.reduce((s, r) => s + r.f, 0);
    expect(charged).toBe(20_000);
    expect(forgiven).toBeGreaterThan(0);

    const usage = await publicApi('GET', '/v1/billing/my-usage?period=30d', ws.adminKey);
    const runtime = usage.body.usage.sandboxRuntime;
    expect(runtime.settledMicros).toBe(20_000);
    expect(runtime.forgivenMicros).toBe(forgiven);
    expect(runtime.forgivenSeconds).toBeGreaterThan(0);
    expect(runtime.settledSeconds + runtime.forgivenSeconds).toBeGreaterThanOrEqual(3600);
    expect(runtime.pendingMicros + runtime.activeEstimateMicros).toBe(0);
    expect(usage.body.usage.totalMicros).toBe(20_000); // what was charged, not what was forgiven
  });
});
