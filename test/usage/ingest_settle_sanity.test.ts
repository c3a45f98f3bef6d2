import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, grant } from '../helpers/fixtures';
import { fireCron, waitForHistory } from '../helpers/settlement';

describe('usage sanity', () => {
  it('ingests, shows accumulating, settles once', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 10_000_000);
    const hourAgo = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 1_800_000).toISOString();
    const res = await internal('POST', '/internal/v1/usage', {
      events: [
        { id: 'e1', workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o', inputTokens: 1000, outputTokens: 500, occurredAt: hourAgo },
        { id: 'e2', workspaceId: ws.workspaceId, type: 'tool_execution', occurredAt: hourAgo },
      ],
    });
    expect(res.status).toBe(200);
    // gpt-4o: 1000 * 2.5 + 500 * 10 = 2500 + 5000 = 7500 micros; tool 1000
    expect(res.body).toEqual({ accepted: 2, duplicates: 0, costMicros: 8500 });
    const again = await internal('POST', '/internal/v1/usage', {
      events: [{ id: 'e1', workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o', inputTokens: 1000, outputTokens: 500, occurredAt: hourAgo }],
    });
    expect(again.body).toEqual({ accepted: 0, duplicates: 1, costMicros: 0 });
    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(credits.body.accumulatingMicros).toBe(8500);
    expect(credits.body.balanceMicros).toBe(10_000_000 - 8500);

    await fireCron(Date.now());
    const data = await waitForHistory(ws.adminKey, '?type=usage&status=completed', (d) => d.length > 0);
    const history = { body: { data } };
    expect(history.body.data).toHaveLength(1);
    expect(history.body.data[0].amountMicros).toBe(-8500);
    const after = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(after.body).toMatchObject({ balanceMicros: 10_000_000 - 8500, accumulatingMicros: 0 });
  });
});

describe('my-usage and the accumulating row (sanity)', () => {
  it('reports tokens and tools for the caller and shows the open usage on top of the history', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 10_000_000);
    const now = new Date().toISOString();
    const res = await internal('POST', '/internal/v1/usage', {
      events: [
        { id: 'm1', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, type: 'model', model: 'gpt-4o-mini', inputTokens: 2000, outputTokens: 1000, occurredAt: now },
        { id: 't1', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, type: 'tool_execution', occurredAt: now },
      ],
    });
    expect(res.status).toBe(200);
    // gpt-4o-mini: 2000 × 0.15 + 1000 × 0.6 = 300 + 600 = 900 micros; one tool = 1000
    expect(res.body.costMicros).toBe(1900);
    const usage = await publicApi('GET', '/v1/billing/my-usage?period=current', ws.adminKey);
    expect(usage.status).toBe(200);
    expect(usage.body.usage.tokens).toEqual({ input: 2000, output: 1000, total: 3000 });
    expect(usage.body.usage.modelUsage).toEqual([{ model: 'gpt-4o-mini', inputTokens: 2000, outputTokens: 1000, totalTokens: 3000, costMicros: 900 }]);
    expect(usage.body.usage.toolExecutions).toEqual({ count: 1, costMicros: 1000 });
    expect(usage.body.usage.totalMicros).toBe(1900);
    const history = await publicApi('GET', '/v1/billing/credits/history', ws.adminKey);
    expect(history.body.data[0]).toMatchObject({ type: 'usage', status: 'accumulating', amountMicros: -1900, balanceAfterMicros: null });
    expect(history.body.data[1]).toMatchObject({ type: 'adjustment', status: 'completed' });
  });
});
