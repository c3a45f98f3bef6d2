// `Idempotent-Replayed: true` marks every answer that is the replay of a mutation already done (the
// same idempotency id or key, the same body: the original result, nothing done again), on every
// kind of mutation; a first answer, or one that did something new, never carries it.
//
// Contract: /work/shared/CONTRACT.md, "Every mutating internal call is idempotent by its id".
import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { BASE, internal, internalWithHeaders, type JsonResponse } from '../helpers/api';
import { addMember, createWorkspace, grant, unique } from '../helpers/fixtures';
import { workspaceWithSavedCard } from '../stripe/stripe_helpers';

const HEADER = 'idempotent-replayed';

/** Sends the same call twice: the first answer is not marked, the second is, with the same status and body. */
async function expectReplayMarked(call: () => Promise<JsonResponse>) {
  const first = await call();
  expect(first.status, JSON.stringify(first.body)).toBeLessThan(300);
  expect(first.headers.get(HEADER)).toBeNull();
  const again = await call();
  expect(again.status).toBe(first.status);
  expect(again.body).toEqual(first.body);
  expect(again.headers.get(HEADER)).toBe('true');
  return first;
}

describe('Idempotent-Replayed: true on each kind of replay', () => {
  it('creating a workspace, a member, an API key, a dashboard link (by body id and by Idempotency-Key)', async () => {
    const ws = await createWorkspace();
    const workspaceId = unique('ws');
    await expectReplayMarked(() => internal('POST', '/internal/v1/workspaces', { id: workspaceId, name: 'Replay Co', admin: { name: 'Ada', email: 'ada@replay.example' } }));
    const memberKey = unique('member');
    await expectReplayMarked(() => internalWithHeaders('POST', `/internal/v1/workspaces/${ws.workspaceId}/members`, { 'idempotency-key': memberKey }, { name: 'Max', email: `${memberKey}@replay.example`, role: 'member' }));
    const keyId = unique('key');
    await expectReplayMarked(() => internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/api-keys`, { id: keyId, memberId: ws.adminMemberId }));
    const linkId = unique('link');
    await expectReplayMarked(() => internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/dashboard-links`, { id: linkId, memberId: ws.adminMemberId }));
  });

  it('revoking an API key again (the first revocation answered)', async () => {
    const ws = await createWorkspace();
    const member = await addMember(ws.workspaceId);
    const key = await internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/api-keys`, { memberId: member.memberId });
    await expectReplayMarked(() => internal('DELETE', `/internal/v1/workspaces/${ws.workspaceId}/api-keys/${key.body.id}`));
  });

  it('adjustments and deductions', async () => {
    const ws = await createWorkspace();
    const grantId = unique('grant');
    await expectReplayMarked(() => internal('POST', '/internal/v1/adjustments', { id: grantId, workspaceId: ws.workspaceId, amountMicros: 5_000_000, description: 'Grant' }));
    const deductionId = unique('deduction');
    await expectReplayMarked(() => internal('POST', '/internal/v1/deductions', { id: deductionId, workspaceId: ws.workspaceId, amountMicros: 1_000_000, description: 'Snapshot' }));
  });

  it('starting, stopping and resizing a resource', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 50_000_000);
    const instance = unique('res_inst');
    await expectReplayMarked(() => internal('POST', '/internal/v1/resources', { id: instance, workspaceId: ws.workspaceId, kind: 'instance', instanceType: 'cpu-small' }));
    await expectReplayMarked(() => internal('POST', `/internal/v1/resources/${instance}/stop`, {}));
    const volume = unique('res_vol');
    await internal('POST', '/internal/v1/resources', { id: volume, workspaceId: ws.workspaceId, kind: 'volume', sizeBytes: 10_000_000_000 });
    await expectReplayMarked(() => internal('POST', `/internal/v1/resources/${volume}/resize`, { sizeBytes: 20_000_000_000 }));
  });

  it('usage: a request whose events were all recorded before is a replay; one with a new event is not', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 5_000_000);
    const events = [
      { id: unique('ev'), workspaceId: ws.workspaceId, type: 'tool_execution' },
      { id: unique('ev'), workspaceId: ws.workspaceId, type: 'tool_execution' },
    ];
    const first = await internal('POST', '/internal/v1/usage', { events });
    expect(first.status).toBe(200);
    expect(first.headers.get(HEADER)).toBeNull();
    const again = await internal('POST', '/internal/v1/usage', { events });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(again.headers.get(HEADER)).toBe('true');
    const partly = await internal('POST', '/internal/v1/usage', { events: [...events, { id: unique('ev'), workspaceId: ws.workspaceId, type: 'tool_execution' }] });
    expect(partly.body).toMatchObject({ accepted: 1, duplicates: 2 });
    expect(partly.headers.get(HEADER)).toBeNull();
  });

  it('a Checkout top-up and a saved-card top-up with the same Idempotency-Key', async () => {
    const ws = await createWorkspace();
    const checkoutKey = unique('topup');
    await expectReplayMarked(() => sendWithKey(ws.adminKey, checkoutKey, { amountCents: 2500 }));

    const saved = await workspaceWithSavedCard('Replay saved card');
    const savedKey = unique('saved');
    await expectReplayMarked(() => sendWithKey(saved.adminKey, savedKey, { amountCents: 1000, paymentMethod: 'saved' }));
  });
});

/** POST /v1/billing/topup with an Idempotency-Key. */
async function sendWithKey(apiKey: string, key: string, body: unknown): Promise<JsonResponse> {
  const res = await exports.default.fetch(
    new Request(`${BASE}/v1/billing/topup`, { method: 'POST', headers: { 'x-api-key': apiKey, 'idempotency-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  );
  return { status: res.status, headers: res.headers, body: await res.json() };
}
