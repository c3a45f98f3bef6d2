import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { addMember, createWorkspace, deduct, grant } from '../helpers/fixtures';

// gpt-4o-mini: 0.15 µ/input token, 0.60 µ/output token; a tool execution: 1000 µ (default prices).
describe('GET /v1/billing/my-usage', () => {
  it('shows each member only their own usage; admins may add every member and the totals', async () => {
    const ws = await createWorkspace('My usage');
    await grant(ws.workspaceId, 50_000_000);
    const alice = await addMember(ws.workspaceId, 'member');
    const bob = await addMember(ws.workspaceId, 'member');
    // A second ago: inside the current calendar month whenever the test runs.
    const at = new Date(Date.now() - 1000).toISOString();
    const res = await internal('POST', '/internal/v1/usage', {
      events: [
        { id: 'a1', workspaceId: ws.workspaceId, memberId: alice.memberId, type: 'model', model: 'gpt-4o-mini', inputTokens: 10_000, outputTokens: 0, occurredAt: at },
        { id: 'b1', workspaceId: ws.workspaceId, memberId: bob.memberId, type: 'tool_execution', occurredAt: at },
        { id: 'b2', workspaceId: ws.workspaceId, memberId: bob.memberId, type: 'model', model: 'gpt-4o-mini', inputTokens: 0, outputTokens: 1000, byok: true, occurredAt: at },
        { id: 'n1', workspaceId: ws.workspaceId, type: 'charge', amountMicros: 250_000, description: 'GPU snapshot', occurredAt: at },
      ],
    });
    expect(res.status).toBe(200);
    // 10,000 × 0.15 = 1500; tool 1000; BYOK 0; charge 250,000
    expect(res.body).toEqual({ accepted: 4, duplicates: 0, costMicros: 252_500 });

    const mine = await publicApi('GET', '/v1/billing/my-usage', alice.apiKey);
    expect(mine.status).toBe(200);
    expect(mine.body.period).toBe('current');
    expect(mine.body.members).toBeUndefined();
    expect(mine.body.usage.tokens).toEqual({ input: 10_000, output: 0, total: 10_000 });
    expect(mine.body.usage.toolExecutions).toEqual({ count: 0, costMicros: 0 });
    expect(mine.body.usage.resourceCharges).toEqual([]);
    expect(mine.body.usage.totalMicros).toBe(1500);

    const bobs = await publicApi('GET', '/v1/billing/my-usage?period=7d', bob.apiKey);
    expect(bobs.body.usage.tokens).toEqual({ input: 0, output: 1000, total: 1000 }); // BYOK counts tokens…
    expect(bobs.body.usage.modelUsage[0]).toMatchObject({ model: 'gpt-4o-mini', costMicros: 0 }); // …at cost 0
    expect(bobs.body.usage.totalMicros).toBe(1000);

    const forbidden = await publicApi('GET', '/v1/billing/my-usage?all=true', alice.apiKey);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');

    const org = await publicApi('GET', '/v1/billing/my-usage?all=true&period=30d', ws.adminKey);
    expect(org.status).toBe(200);
    const byMember = Object.fromEntries(org.body.members.map((m: any) => [m.memberId, m.usage.totalMicros]));
    expect(byMember).toEqual({ [ws.adminMemberId]: 0, [alice.memberId]: 1500, [bob.memberId]: 1000 });
    expect(org.body.totals.totalMicros).toBe(252_500);
    expect(org.body.totals.resourceCharges).toEqual([{ description: 'GPU snapshot', amountMicros: 250_000, createdAt: at }]);
  });

  it('counts resource charges taken by deduction, and validates its query', async () => {
    const ws = await createWorkspace('My usage deductions');
    await grant(ws.workspaceId, 5_000_000);
    expect((await deduct(ws.workspaceId, 1_200_000, 'snap-1', 'Snapshot export')).status).toBe(201);
    const org = await publicApi('GET', '/v1/billing/my-usage?all=true', ws.adminKey);
    expect(org.body.totals.resourceCharges).toMatchObject([{ description: 'Snapshot export', amountMicros: 1_200_000 }]);
    expect(org.body.totals.totalMicros).toBe(1_200_000);
    for (const bad of ['period=month', 'all=yes']) {
      const res = await publicApi('GET', `/v1/billing/my-usage?${bad}`, ws.adminKey);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.message).toContain(bad.split('=')[0]);
    }
    expect((await publicApi('GET', '/v1/billing/my-usage', null)).status).toBe(401);
  });
});
