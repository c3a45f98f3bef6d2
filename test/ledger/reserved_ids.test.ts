// Ids chosen by callers never collide with the keys the ledger uses for itself: an adjustment or
// deduction whose id looks like a settlement key is just another entry, and the hour still settles.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct, grant } from '../helpers/fixtures';
import { ledgerStub } from '../helpers/ledger_checks';
import { HOUR_MS, hourOf } from '../helpers/settlement';

describe('reserved ids', () => {
  it('an adjustment with id settle:<hour> does not block that hour; a deduction with such an id is still a resource charge', async () => {
    const ws = await createWorkspace('Reserved ids');
    await grant(ws.workspaceId, 10_000_000);
    const hour = hourOf(Date.now()) - HOUR_MS;
    const settleId = `settle:${new Date(hour).toISOString()}`;
    const adj = await internal('POST', '/internal/v1/adjustments', { id: settleId, workspaceId: ws.workspaceId, amountMicros: 1_000_000, description: 'Looks like a settlement' });
    expect(adj.status).toBe(201);
    // A replay is still a replay, and another body a conflict naming the caller's own id.
    const replay = await internal('POST', '/internal/v1/adjustments', { id: settleId, workspaceId: ws.workspaceId, amountMicros: 1_000_000, description: 'Looks like a settlement' });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(adj.body.id);
    const conflict = await internal('POST', '/internal/v1/adjustments', { id: settleId, workspaceId: ws.workspaceId, amountMicros: 2_000_000, description: 'Looks like a settlement' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.message).toContain(`"${settleId}"`);

    await internal('POST', '/internal/v1/usage', { events: [{ id: 'tool-in-hour', workspaceId: ws.workspaceId, type: 'tool_execution', occurredAt: new Date(hour + 1000).toISOString() }] });
    expect(await ledgerStub(ws.workspaceId).settle(ws.workspaceId, hour + HOUR_MS)).toMatchObject({ ok: true, value: { settledHours: 1 } });

    const charge = await deduct(ws.workspaceId, 250_000, `settle:${new Date(hour + HOUR_MS).toISOString()}`, 'Export');
    expect(charge.status).toBe(201);
    const usage = await publicApi('GET', '/v1/billing/my-usage?all=true', ws.adminKey);
    expect(usage.body.totals.resourceCharges).toEqual(expect.arrayContaining([expect.objectContaining({ description: 'Export', amountMicros: 250_000 })]));
  });
});
