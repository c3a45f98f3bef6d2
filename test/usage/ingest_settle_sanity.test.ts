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
