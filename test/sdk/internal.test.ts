// The internal client (BurnrateInternal) against the real Worker: every internal route once, with
// the values it returns checked, and the ids the SDK fills in when the caller gives none.
import { describe, expect, it } from 'vitest';
import { BASE_URL, CREDIT_MICROS, internalClient, publicClient, recordingFetch, unique } from './sdk_helpers';

describe('BurnrateInternal', () => {
  it('workspaces, members and API keys: create, use, revoke', async () => {
    const recorder = recordingFetch();
    const internal = internalClient({ fetch: recorder.fetch });
    const email = `${unique('owner')}@example.com`;
    const created = await internal.workspaces.create({ name: 'SDK tenancy', admin: { name: 'Olga Owner', email } });
    expect(created.workspace).toMatchObject({ name: 'SDK tenancy' });
    expect(created.workspace.id.startsWith('ws_')).toBe(true);
    expect(created.member).toMatchObject({ workspaceId: created.workspace.id, name: 'Olga Owner', email, role: 'admin' });
    // The SDK gave the create an idempotency id.
    expect(JSON.parse(recorder.sent[0]!.body!).id).toMatch(/^workspace_[0-9a-f-]{36}$/);
    expect(recorder.sent[0]!.headers.authorization).toBe('Bearer test-internal-token');
    const ws = created.workspace.id;

    const member = await internal.members.create(ws, { name: 'Mia Member', email: `${unique('mia')}@example.com`, role: 'member' });
    expect(member.member).toMatchObject({ workspaceId: ws, name: 'Mia Member', role: 'member' });
    expect((await publicClient(member.apiKey).billing.credits()).balanceMicros).toBe(0);

    const key = await internal.apiKeys.create(ws, { memberId: member.member.id });
    expect(key).toMatchObject({ memberId: member.member.id, prefix: expect.any(String) });
    expect(key.id.startsWith('key_')).toBe(true);
    expect(key.apiKey.startsWith(key.prefix)).toBe(true);
    expect((await publicClient(key.apiKey).billing.credits()).balanceMicros).toBe(0);

    const link = await internal.dashboardLinks.create(ws, { memberId: member.member.id, ttlSeconds: 600 });
    expect(link.memberId).toBe(member.member.id);
    expect(link.url.startsWith(`${BASE_URL}/dashboard/link#`)).toBe(true);
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    expect(Date.parse(link.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);

    const revoked = await internal.apiKeys.revoke(ws, key.id);
    expect(revoked).toMatchObject({ id: key.id, prefix: key.prefix, memberId: member.member.id });
    expect(await internal.apiKeys.revoke(ws, key.id)).toEqual(revoked); // idempotent
    await expect(publicClient(key.apiKey).billing.credits()).rejects.toMatchObject({ code: 'unauthenticated', status: 401 });

    // No dashboard session open for the member (the link was never used): nothing to end.
    expect(await internal.members.endDashboardSessions(ws, member.member.id)).toEqual({ memberId: member.member.id, endedSessions: 0 });
  });

  it('adjustments, deductions, credit check and usage', async () => {
    const internal = internalClient();
    const { workspace } = await internal.workspaces.create({ name: 'SDK ledger', admin: { name: 'A', email: `${unique('a')}@example.com` } });
    const ws = workspace.id;

    const grant = await internal.adjustments.create({ id: unique('grant'), workspaceId: ws, amountMicros: 5 * CREDIT_MICROS, description: 'Grant' });
    expect(grant).toMatchObject({ type: 'adjustment', status: 'completed', amountMicros: 5 * CREDIT_MICROS, balanceAfterMicros: 5 * CREDIT_MICROS });

    const deduction = await internal.deductions.create({ workspaceId: ws, amountMicros: 2 * CREDIT_MICROS, description: 'GPU snapshot' });
    expect(deduction).toMatchObject({ type: 'usage', status: 'completed', amountMicros: -2 * CREDIT_MICROS, balanceAfterMicros: 3 * CREDIT_MICROS, description: 'GPU snapshot' });

    expect(await internal.creditCheck(ws, 3 * CREDIT_MICROS)).toEqual({ allowed: true, balanceMicros: 3 * CREDIT_MICROS });
    expect(await internal.creditCheck(ws, 3 * CREDIT_MICROS + 1)).toEqual({ allowed: false, balanceMicros: 3 * CREDIT_MICROS, reason: 'insufficient_credits' });

    const eventId = unique('evt');
    const events = [
      { id: eventId, workspaceId: ws, type: 'tool_execution' as const },
      { workspaceId: ws, type: 'charge' as const, amountMicros: 7_000, description: 'Web search' },
    ];
    expect(await internal.usage.record(events)).toEqual({ accepted: 2, duplicates: 0, costMicros: 1_000 + 7_000 });
    // The caller's id makes a resend a duplicate (the event without an id gets a new one: accepted again).
    expect(await internal.usage.record([events[0]!])).toEqual({ accepted: 0, duplicates: 1, costMicros: 0 });
  });

  it('pricing, sandbox-runtime quote, resources and storage quota', async () => {
    const internal = internalClient();
    const { workspace } = await internal.workspaces.create({ name: 'SDK metering', admin: { name: 'A', email: `${unique('a')}@example.com` } });
    const ws = workspace.id;
    await internal.adjustments.create({ workspaceId: ws, amountMicros: 10 * CREDIT_MICROS, description: 'Grant' });

    const prices = await internal.pricing.get();
    expect(prices.version).toBeGreaterThanOrEqual(1);
    const cpuSmall = prices.instanceTypes.find((t) => t.instanceType === 'cpu-small');
    expect(cpuSmall?.microsPerHour).toBeGreaterThan(0);
    // Setting the list in force changes nothing (no new version); other test files price with it.
    const { version, effectiveAt, ...list } = prices;
    expect(await internal.pricing.set(list)).toEqual({ ...list, version, effectiveAt });

    const quote = await internal.quotes.sandboxRuntime({ workspaceId: ws, instanceType: 'cpu-small', seconds: 3600 });
    expect(quote).toMatchObject({ costMicros: cpuSmall!.microsPerHour, microsPerHour: cpuSmall!.microsPerHour, affordable: true });
    expect(quote.affordableSeconds).toBeGreaterThan(3600);

    // A minute ago, or when the workspace was created if that is later (nothing starts before it).
    const startedAt = new Date(Math.max(Date.now() - 60_000, Date.parse(workspace.createdAt))).toISOString();
    const instance = await internal.resources.start({ workspaceId: ws, kind: 'instance', instanceType: 'cpu-small', startedAt });
    expect(instance).toMatchObject({ workspaceId: ws, kind: 'instance', instanceType: 'cpu-small', status: 'running', startedAt, stoppedAt: null });
    expect(instance.id).toMatch(/^res_[0-9a-f-]{36}$/); // made up by the SDK
    const volumeId = unique('res_vol');
    const volume = await internal.resources.start({ id: volumeId, workspaceId: ws, kind: 'volume', sizeBytes: 2_000_000_000 });
    expect(volume).toMatchObject({ id: volumeId, kind: 'volume', sizeBytes: 2_000_000_000, status: 'running' });
    expect(await internal.storageQuota(ws)).toEqual({ usedBytes: 2_000_000_000, accessible: true });

    const resized = await internal.resources.resize(volumeId, { sizeBytes: 3_000_000_000 });
    expect(resized).toMatchObject({ id: volumeId, sizeBytes: 3_000_000_000 });
    expect((await internal.storageQuota(ws)).usedBytes).toBe(3_000_000_000);

    const stoppedAt = new Date(Math.max(Date.now() - 30_000, Date.parse(startedAt) + 1)).toISOString();
    const stopped = await internal.resources.stop(instance.id, { stoppedAt });
    expect(stopped).toMatchObject({ id: instance.id, status: 'stopped', stoppedAt });
    expect(await internal.resources.stop(instance.id)).toEqual(stopped); // idempotent
    const volumeStopped = await internal.resources.stop(volumeId);
    expect(volumeStopped.status).toBe('stopped');
    expect(await internal.storageQuota(ws)).toEqual({ usedBytes: 0, accessible: true });

    // No notification for a workspace that never ran out.
    expect(await internal.events.list(ws)).toEqual({ data: [] });
    expect(await internal.notifications.list(ws, { limit: 10 })).toEqual({ data: [], nextCursor: null });
  });

  it('usage.events pages the raw events of an hour', async () => {
    const internal = internalClient();
    const { workspace } = await internal.workspaces.create({ name: 'SDK usage events', admin: { name: 'Ava', email: `${unique('ava')}@example.com` } });
    const ids = [unique('a'), unique('b'), unique('c')].sort();
    await internal.usage.record(ids.map((id) => ({ id, workspaceId: workspace.id, type: 'tool_execution' as const })));
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const first = await internal.usage.events(workspace.id, { hour, limit: 2 });
    expect(first.data.map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(first.data[0]).toMatchObject({ workspaceId: workspace.id, type: 'tool_execution', billedHour: hour });
    const rest = await internal.usage.events(workspace.id, { hour, limit: 2, cursor: first.nextCursor! });
    expect(rest).toMatchObject({ data: [{ id: ids[2] }], nextCursor: null });
  });
});
