// Typed errors from the real Worker: every call that fails rejects with a BurnrateError whose
// `code` is the contract's error code, with the HTTP status and the service's request id.
import { describe, expect, it } from 'vitest';
import { BurnrateError, BurnrateInternal, type BurnrateErrorCode } from '../../sdk/src/index';
import { BASE_URL, CREDIT_MICROS, internalClient, newMember, newWorkspace, publicClient, unique, workerFetch } from './sdk_helpers';

const internal = internalClient();

/** The rejection of `call`, checked to be a BurnrateError with this code and status. */
async function expectError(call: Promise<unknown>, code: BurnrateErrorCode, status: number): Promise<BurnrateError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BurnrateError);
  expect(error).toBeInstanceOf(Error);
  const e = error as BurnrateError;
  expect({ code: e.code, status: e.status }).toEqual({ code, status });
  expect(e.requestId).toMatch(/^req_/);
  expect(e.message.length).toBeGreaterThan(0);
  expect(e.name).toBe('BurnrateError');
  return e;
}

describe('BurnrateError codes from the Worker', () => {
  it('unauthenticated: an unknown API key, a wrong internal token', async () => {
    await expectError(publicClient('br_live_not_a_real_key').billing.credits(), 'unauthenticated', 401);
    const wrongToken = new BurnrateInternal({ token: 'not-the-token', baseUrl: BASE_URL, fetch: workerFetch });
    await expectError(wrongToken.pricing.get(), 'unauthenticated', 401);
  });

  it('forbidden: a member starting a top-up, or asking for everyone’s usage', async () => {
    const ws = await newWorkspace('SDK forbidden');
    const member = await newMember(ws.workspaceId, 'member');
    const e = await expectError(member.client.billing.topup({ amountCents: 2500 }), 'forbidden', 403);
    expect(e.message).toMatch(/admin/i);
    await expectError(member.client.billing.myUsage({ all: true }), 'forbidden', 403);
    await expectError(member.client.billing.autoTopup.set({ enabled: false, thresholdCents: 0, topupAmountCents: 500 }), 'forbidden', 403);
  });

  it('not_found: another workspace’s transaction, an unknown session, resource or workspace', async () => {
    const ws = await newWorkspace('SDK not found');
    const other = await newWorkspace('SDK other tenant');
    const foreign = await internal.adjustments.create({ workspaceId: other.workspaceId, amountMicros: CREDIT_MICROS, description: 'Theirs' });
    await expectError(ws.admin.billing.transaction(foreign.id), 'not_found', 404);
    await expectError(ws.admin.billing.success('cs_test_nope'), 'not_found', 404);
    await expectError(internal.resources.stop(unique('res_missing')), 'not_found', 404);
    await expectError(internal.storageQuota('ws_doesnotexist0000000000000'), 'not_found', 404);
  });

  it('invalid_request: the message names the field', async () => {
    const ws = await newWorkspace('SDK invalid');
    const e = await expectError(ws.admin.billing.topup({ amountCents: 499 }), 'invalid_request', 400);
    expect(e.message).toContain('amountCents');
    const limit = await expectError(ws.admin.billing.history({ limit: 0 }), 'invalid_request', 400);
    expect(limit.message).toContain('limit');
    const quote = await expectError(internal.quotes.sandboxRuntime({ workspaceId: ws.workspaceId, instanceType: 'no-such-type', seconds: 60 }), 'invalid_request', 400);
    expect(quote.message).toContain('instanceType');
  });

  it('insufficient_credits: a deduction the balance cannot cover, nothing recorded', async () => {
    const ws = await newWorkspace('SDK insufficient');
    await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: CREDIT_MICROS, description: 'Grant' });
    await expectError(internal.deductions.create({ workspaceId: ws.workspaceId, amountMicros: CREDIT_MICROS + 1, description: 'Too much' }), 'insufficient_credits', 402);
    expect((await ws.admin.billing.history({ type: 'usage' })).data).toEqual([]);
    expect((await ws.admin.billing.credits()).balanceMicros).toBe(CREDIT_MICROS);
  });

  it('idempotency_conflict: an id reused with another body', async () => {
    const ws = await newWorkspace('SDK conflict');
    const id = unique('grant');
    const original = await internal.adjustments.create({ id, workspaceId: ws.workspaceId, amountMicros: CREDIT_MICROS, description: 'Grant' });
    expect(await internal.adjustments.create({ id, workspaceId: ws.workspaceId, amountMicros: CREDIT_MICROS, description: 'Grant' })).toEqual(original);
    await expectError(internal.adjustments.create({ id, workspaceId: ws.workspaceId, amountMicros: 2 * CREDIT_MICROS, description: 'Grant' }), 'idempotency_conflict', 409);
  });

  it('payment_method_required: enabling auto-top-up with no saved card', async () => {
    const ws = await newWorkspace('SDK no card');
    await expectError(ws.admin.billing.autoTopup.set({ enabled: true, thresholdCents: 1000, topupAmountCents: 2500 }), 'payment_method_required', 409);
    expect((await ws.admin.billing.autoTopup.get()).enabled).toBe(false);
  });
});
