import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { addMember, createWorkspace, deduct, grant } from '../helpers/fixtures';

// gpt-4o-mini: 0.15 µ/input token (default prices). Usage reported without a memberId belongs to
// the workspace but to no member: my-usage?all=true lists it as `unattributed`, and `totals` (the
// workspace) is members + unattributed, micro for micro.
describe('GET /v1/billing/my-usage?all=true: unattributed usage', () => {
  it('lists usage without a member as unattributed, and the members plus it add up to the totals', async () => {
    const ws = await createWorkspace('Unattributed usage');
    await grant(ws.workspaceId, 50_000_000);
    const alice = await addMember(ws.workspaceId, 'member');
    const at = new Date(Date.now() - 1000).toISOString();
    const res = await internal('POST', '/internal/v1/usage', {
      events: [
        // 3 tokens each: 0.45 µ each, 1.35 µ together. The hour's model line is rounded once (1 µ);
        // each person's share of it must add up to that line, not be rounded on its own (0 + 0 + 0).
        { id: 'a1', workspaceId: ws.workspaceId, memberId: alice.memberId, type: 'model', model: 'gpt-4o-mini', inputTokens: 3, outputTokens: 0, occurredAt: at },
        { id: 'd1', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, type: 'model', model: 'gpt-4o-mini', inputTokens: 3, outputTokens: 0, occurredAt: at },
        { id: 'n1', workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o-mini', inputTokens: 3, outputTokens: 0, occurredAt: at },
        { id: 'n2', workspaceId: ws.workspaceId, type: 'tool_execution', occurredAt: at },
        { id: 'n3', workspaceId: ws.workspaceId, type: 'charge', amountMicros: 250_000, description: 'GPU snapshot', occurredAt: at },
      ],
    });
    expect(res.status).toBe(200);
    expect((await deduct(ws.workspaceId, 1_200_000, 'unattributed-deduction', 'Snapshot export')).status).toBe(201);

    const org = await publicApi('GET', '/v1/billing/my-usage?all=true', ws.adminKey);
    expect(org.status).toBe(200);
    const { members, unattributed, totals } = org.body;
    expect(unattributed).toBeDefined();
    expect(unattributed.tokens).toEqual({ input: 3, output: 0, total: 3 });
    expect(unattributed.toolExecutions.count).toBe(1);
    expect(unattributed.resourceCharges.map((c: any) => c.description).sort()).toEqual(['GPU snapshot', 'Snapshot export']);

    // The model line of the hour: 9 tokens × 0.15 µ = 1.35 µ → 1 µ, split between the three.
    const modelCost = (row: any) => row.modelUsage.reduce((s: number, m: any) => s + m.costMicros, 0);
    expect(modelCost(totals)).toBe(1);
    expect(modelCost(unattributed) + members.reduce((s: number, m: any) => s + modelCost(m.usage), 0)).toBe(1);

    const sum = (key: (row: any) => number) => members.reduce((s: number, m: any) => s + key(m.usage), key(unattributed));
    expect(sum((r) => r.totalMicros)).toBe(totals.totalMicros);
    expect(sum((r) => r.tokens.total)).toBe(totals.tokens.total);
    expect(sum((r) => r.toolExecutions.costMicros)).toBe(totals.toolExecutions.costMicros);
    // 1 (models) + 1000 (tool) + 250,000 (charge) + 1,200,000 (deduction)
    expect(totals.totalMicros).toBe(1_451_001);

    // A member's own report is the same row as their line in the admin's.
    const mine = await publicApi('GET', '/v1/billing/my-usage', alice.apiKey);
    expect(mine.body.unattributed).toBeUndefined();
    expect(mine.body.usage).toEqual(members.find((m: any) => m.memberId === alice.memberId).usage);
  });

  it('has an empty unattributed row when every event names a member', async () => {
    const ws = await createWorkspace('Attributed usage');
    await grant(ws.workspaceId, 5_000_000);
    const at = new Date(Date.now() - 1000).toISOString();
    await internal('POST', '/internal/v1/usage', { events: [{ id: 't1', workspaceId: ws.workspaceId, memberId: ws.adminMemberId, type: 'tool_execution', occurredAt: at }] });
    const org = await publicApi('GET', '/v1/billing/my-usage?all=true', ws.adminKey);
    expect(org.body.unattributed.totalMicros).toBe(0);
    expect(org.body.totals.totalMicros).toBe(1000);
  });
});
