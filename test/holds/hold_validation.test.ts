// Bad input to holds and spend limits is a 400 naming the field; another workspace's hold is a 404.
import { describe, expect, it } from 'vitest';
import { internal, publicApi } from '../helpers/api';
import { addMember, createWorkspace, grant, unique } from '../helpers/fixtures';
import { completedSum } from '../ledger/ledger_helpers';
import { captureHold, createHold, CREDIT, creditCheck, listHolds, releaseHold } from './holds_helpers';

describe('holds and spend limits: validation and tenancy', async () => {
  const ws = await createWorkspace('Validation A');
  const other = await createWorkspace('Validation B');
  const outsider = await addMember(other.workspaceId);
  await grant(ws.workspaceId, 10 * CREDIT);
  await grant(other.workspaceId, 10 * CREDIT);

  const expect400 = (res: { status: number; body: any }, field: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain(field);
  };

  it('refuses a hold amount ≤ 0, a ttl outside 1–86,400, a member of another workspace', async () => {
    expect400(await createHold({ workspaceId: ws.workspaceId, amountMicros: 0 }), 'amountMicros');
    expect400(await createHold({ workspaceId: ws.workspaceId, amountMicros: -5 }), 'amountMicros');
    expect400(await createHold({ workspaceId: ws.workspaceId, amountMicros: 1.5 }), 'amountMicros');
    expect400(await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT, ttlSeconds: 0 }), 'ttlSeconds');
    expect400(await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT, ttlSeconds: 86_401 }), 'ttlSeconds');
    expect400(await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT, memberId: outsider.memberId }), 'memberId');
    expect400(await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT, memberId: 'mem_doesnotexist' }), 'memberId');
    expect400(await internal('POST', '/internal/v1/holds', { workspaceId: ws.workspaceId, amountMicros: CREDIT }), 'id');
    expect((await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT, ttlSeconds: 86_400 })).status).toBe(201);
    expect((await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT, ttlSeconds: 1 })).status).toBe(201);
    expect((await createHold({ workspaceId: 'ws_nosuchworkspace', amountMicros: CREDIT })).status).toBe(404);
  });

  it('refuses a capture below 0, a deduction or check for a member of another workspace', async () => {
    const hold = await createHold({ workspaceId: ws.workspaceId, amountMicros: CREDIT });
    expect400(await captureHold(hold.body.id, -1), 'amountMicros');
    expect400(await internal('POST', '/internal/v1/deductions', { id: unique('d'), workspaceId: ws.workspaceId, amountMicros: 5, description: 'x', memberId: outsider.memberId }), 'memberId');
    expect400(await creditCheck(ws.workspaceId, 5, outsider.memberId), 'memberId');
    expect((await releaseHold(hold.body.id)).status).toBe(200);
  });

  it("another workspace's hold is a 404, and its id cannot be taken", async () => {
    const theirs = await createHold({ workspaceId: other.workspaceId, amountMicros: 2 * CREDIT });
    expect(theirs.status).toBe(201);
    for (const res of [await captureHold(theirs.body.id, CREDIT, ws.workspaceId), await releaseHold(theirs.body.id, ws.workspaceId)]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await captureHold('no-such-hold', CREDIT)).status).toBe(404);
    expect((await releaseHold('no-such-hold')).status).toBe(404);
    expect((await listHolds(ws.workspaceId)).body.data.map((h: { id: string }) => h.id)).not.toContain(theirs.body.id);
    // The same id in another workspace is a conflict, and holds nothing there.
    const taken = await createHold({ workspaceId: ws.workspaceId, id: theirs.body.id, amountMicros: CREDIT });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('idempotency_conflict');
    expect((await listHolds(ws.workspaceId)).body.data.map((h: { id: string }) => h.id)).not.toContain(theirs.body.id);
    // Theirs is untouched.
    expect((await listHolds(other.workspaceId)).body.data.map((h: { id: string }) => h.id)).toContain(theirs.body.id);
    expect((await captureHold(theirs.body.id, CREDIT, other.workspaceId)).status).toBe(200);
    expect(await completedSum(other.workspaceId)).toBe(9 * CREDIT);
  });

  it('refuses a limit ≤ 0, an unknown period, a member of another workspace', async () => {
    const member = await addMember(ws.workspaceId);
    const put = (memberId: string, body: unknown) => publicApi('PUT', `/v1/billing/spend-limits/${memberId}`, ws.adminKey, body);
    expect400(await put(member.memberId, { limitMicros: 0, period: 'day' }), 'limitMicros');
    expect400(await put(member.memberId, { limitMicros: -1, period: 'day' }), 'limitMicros');
    expect400(await put(member.memberId, { limitMicros: CREDIT, period: 'week' }), 'period');
    expect400(await put(outsider.memberId, { limitMicros: CREDIT, period: 'day' }), 'memberId');
    expect400(await put('not-a-member', { limitMicros: CREDIT, period: 'day' }), 'memberId');
    expect400(await publicApi('DELETE', `/v1/billing/spend-limits/${outsider.memberId}`, ws.adminKey), 'memberId');
    expect((await publicApi('GET', '/v1/billing/spend-limits', other.adminKey)).body.data).toEqual([]);
  });
});
