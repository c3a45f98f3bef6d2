// GET /v1/billing/transactions/:id explains a settled hour: one line per model, tools, charge,
// instance and volume, each with its quantity and what it took; the lines add up to the amount.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { addMember, createWorkspace, grant, unique } from '../helpers/fixtures';
import { ledgerStub } from '../helpers/ledger_checks';
import { HOUR_MS, hourOf } from '../helpers/settlement';

const CREDIT = 1_000_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('usage transaction lines', () => {
  it('a settled hour lists its lines, which add up to its amount; other transactions have none', async () => {
    const ws = await createWorkspace('Lines');
    await grant(ws.workspaceId, 50 * CREDIT);
    const hour = hourOf(Date.now()) - HOUR_MS;
    const p = unique('lines');
    const usage = await internal('POST', '/internal/v1/usage', {
      events: [
        { id: `${p}-m1`, workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o', inputTokens: 120_000, outputTokens: 30_000, occurredAt: iso(hour + 60_000) },
        { id: `${p}-m2`, workspaceId: ws.workspaceId, type: 'model', model: 'gpt-4o', inputTokens: 1_000, outputTokens: 0, occurredAt: iso(hour + 70_000) },
        { id: `${p}-t1`, workspaceId: ws.workspaceId, type: 'tool_execution', occurredAt: iso(hour + 80_000) },
        { id: `${p}-t2`, workspaceId: ws.workspaceId, type: 'tool_execution', occurredAt: iso(hour + 90_000) },
        { id: `${p}-c1`, workspaceId: ws.workspaceId, type: 'charge', amountMicros: 250_000, description: 'Snapshot export', occurredAt: iso(hour + 100_000) },
      ],
    });
    expect(usage.status, JSON.stringify(usage.body)).toBe(200);
    const started = await internal('POST', '/internal/v1/resources', { id: `res_${p.replaceAll('-', '_')}`, workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'cpu-small', startedAt: iso(hour + 30 * 60_000) });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    await internal('POST', `/internal/v1/resources/res_${p.replaceAll('-', '_')}/stop`, { stoppedAt: iso(hour + 45 * 60_000) });

    expect(await ledgerStub(ws.workspaceId).settle(ws.workspaceId, hour + HOUR_MS)).toMatchObject({ ok: true, value: { settledHours: 1 } });
    const history = await publicApi('GET', '/v1/billing/credits/history?type=usage', ws.adminKey);
    const settled = history.body.data.find((t: any) => t.status === 'completed');
    expect(settled).toBeDefined();

    const member = await addMember(ws.workspaceId);
    const res = await publicApi('GET', `/v1/billing/transactions/${settled.id}`, member.apiKey);
    expect(res.status).toBe(200);
    const lines = res.body.lines as any[];
    expect(lines.map((l) => l.kind)).toEqual(['charge', 'tool', 'model', 'instance']);
    expect(lines.find((l) => l.kind === 'model')).toMatchObject({ quantity: 151_000, unit: 'tokens', description: 'gpt-4o: 121,000 input + 30,000 output tokens' });
    expect(lines.find((l) => l.kind === 'tool')).toMatchObject({ quantity: 2, unit: 'executions' });
    expect(lines.find((l) => l.kind === 'charge')).toMatchObject({ quantity: 1, unit: 'charges', description: 'Snapshot export', amountMicros: -250_000 });
    expect(lines.find((l) => l.kind === 'instance')).toMatchObject({ quantity: 900, unit: 'seconds', description: expect.stringContaining('15 min') });
    expect(lines.every((l) => l.amountMicros < 0 && l.forgivenMicros === 0)).toBe(true);
    expect(lines.reduce((s, l) => s + l.amountMicros, 0)).toBe(res.body.amountMicros);

    const grantTxn = (await publicApi('GET', '/v1/billing/credits/history?type=adjustment', ws.adminKey)).body.data[0];
    const plain = await publicApi('GET', `/v1/billing/transactions/${grantTxn.id}`, ws.adminKey);
    expect(plain.status).toBe(200);
    expect(plain.body.lines).toBeUndefined();

    // Another workspace's transaction is a 404.
    const other = await createWorkspace('Lines, other');
    expect((await publicApi('GET', `/v1/billing/transactions/${settled.id}`, other.adminKey)).status).toBe(404);
  });

  it('an hour the balance could not cover shows what each line took and what was forgiven', async () => {
    const ws = await createWorkspace('Lines forgiven');
    await grant(ws.workspaceId, 100_000);
    const hour = hourOf(Date.now()) - HOUR_MS;
    const p = unique('short');
    await internal('POST', '/internal/v1/usage', {
      events: [
        { id: `${p}-c1`, workspaceId: ws.workspaceId, type: 'charge', amountMicros: 60_000, description: 'First', occurredAt: iso(hour + 1_000) },
        { id: `${p}-c2`, workspaceId: ws.workspaceId, type: 'charge', amountMicros: 70_000, description: 'Second', occurredAt: iso(hour + 2_000) },
      ],
    });
    await ledgerStub(ws.workspaceId).settle(ws.workspaceId, hour + HOUR_MS);
    const settled = (await publicApi('GET', '/v1/billing/credits/history?type=usage&status=completed', ws.adminKey)).body.data[0];
    const res = await publicApi('GET', `/v1/billing/transactions/${settled.id}`, ws.adminKey);
    expect(res.body.amountMicros).toBe(-100_000);
    expect(res.body.forgivenMicros).toBe(30_000);
    const lines = res.body.lines as any[];
    expect(lines.reduce((s, l) => s + l.amountMicros, 0)).toBe(-100_000);
    expect(lines.reduce((s, l) => s + l.forgivenMicros, 0)).toBe(30_000);
  });
});
