// The SDK's holds (BurnrateInternal.holds) and spend limits (Burnrate.billing.spendLimits) against the real Worker.
import { describe, expect, it } from 'vitest';
import { BurnrateError } from '../../sdk/src/index';
import { CREDIT_MICROS, internalClient, publicClient, unique } from './sdk_helpers';

describe('SDK: holds and spend limits', () => {
  it('holds.create, capture, release, list; billing.spendLimits.set, list, remove; creditCheck with a member', async () => {
    const internal = internalClient();
    const created = await internal.workspaces.create({ name: 'SDK holds', admin: { name: 'Ada', email: `${unique('ada')}@example.com` } });
    const ws = created.workspace.id;
    const member = await internal.members.create(ws, { name: 'Max', email: `${unique('max')}@example.com`, role: 'member' });
    await internal.adjustments.create({ workspaceId: ws, amountMicros: 10 * CREDIT_MICROS, description: 'Grant' });

    const hold = await internal.holds.create({ workspaceId: ws, memberId: member.member.id, amountMicros: 2 * CREDIT_MICROS, ttlSeconds: 600 });
    expect(hold).toMatchObject({ workspaceId: ws, memberId: member.member.id, status: 'held', amountMicros: 2 * CREDIT_MICROS });
    expect(hold.id).toMatch(/^hold_/);
    expect((await internal.holds.list(ws)).data.map((h) => h.id)).toEqual([hold.id]);
    expect(await internal.creditCheck(ws, 8 * CREDIT_MICROS + 1)).toMatchObject({ allowed: false, reason: 'insufficient_credits' });

    const captured = await internal.holds.capture(hold.id, 1_250_000);
    expect(captured.hold).toMatchObject({ status: 'captured', capturedMicros: 1_250_000 });
    expect(captured.transaction).toMatchObject({ type: 'usage', amountMicros: -1_250_000 });
    const closed = await internal.holds.release(hold.id).catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(BurnrateError);
    expect((closed as BurnrateError).code).toBe('hold_closed');

    const other = await internal.holds.create({ workspaceId: ws, amountMicros: CREDIT_MICROS });
    expect((await internal.holds.release(other.id)).status).toBe('released');

    const admin = publicClient(created.apiKey).billing.spendLimits;
    const limit = await admin.set(member.member.id, { limitMicros: 2 * CREDIT_MICROS, period: 'month' });
    expect(limit).toMatchObject({ memberId: member.member.id, spentMicros: 1_250_000, remainingMicros: 750_000, period: 'month' });
    expect((await publicClient(member.apiKey).billing.spendLimits.list()).data).toEqual([limit]);
    expect(await internal.creditCheck(ws, 750_001, member.member.id)).toMatchObject({ allowed: false, reason: 'spend_limit' });
    const refused = await internal.holds.create({ workspaceId: ws, memberId: member.member.id, amountMicros: 750_001 }).catch((e: unknown) => e);
    expect((refused as BurnrateError).code).toBe('spend_limit_exceeded');
    expect((refused as BurnrateError).status).toBe(402);
    await admin.remove(member.member.id);
    expect((await admin.list()).data).toEqual([]);
  });
});
