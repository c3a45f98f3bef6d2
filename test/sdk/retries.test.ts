// Retries against the real Worker: a request whose answer was lost is sent again with the same
// idempotency key (header or body id) and gets the original result, applied once; errors that are
// answers (4xx) are never retried; 429/502/503/504 and network failures are, up to maxRetries.
import { describe, expect, it } from 'vitest';
import { BurnrateError, type FetchLike } from '../../sdk/src/index';
import { CREDIT_MICROS, dropFirstAnswer, internalClient, newWorkspace, publicClient, recordingFetch, workerFetch } from './sdk_helpers';

const internal = internalClient();

const serviceError = (status: number, code: string) =>
  new Response(JSON.stringify({ error: { code, message: `synthetic ${code}`, requestId: 'req_synthetic' } }), { status, headers: { 'content-type': 'application/json' } });

describe('an answer lost after the Worker acted', () => {
  it('topup: retried with the same Idempotency-Key; the original session; one pending deposit', async () => {
    const ws = await newWorkspace('SDK retry topup');
    const dropped = dropFirstAnswer();
    const recorder = recordingFetch(dropped.answer);
    const rt = publicClient(ws.adminKey, { fetch: recorder.fetch });

    const created = await rt.billing.topup({ amountCents: 2500 });

    expect(recorder.sent.map((r) => r.outcome)).toEqual(['network', 201]);
    const [first, second] = recorder.sent;
    expect(first!.headers['idempotency-key']).toMatch(/^topup_/);
    expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
    expect(second!.body).toBe(first!.body);
    expect(created).toEqual(dropped.lost[0]); // what the first attempt created, not a second session

    const deposits = await rt.billing.history({ type: 'deposit' });
    expect(deposits.data).toHaveLength(1);
    expect(deposits.data[0]).toMatchObject({ id: created.transactionId, status: 'pending', amountMicros: 25_000_000 });
  });

  it('deduction: retried with the same body id; the original transaction; one ledger entry', async () => {
    const ws = await newWorkspace('SDK retry deduction');
    await internal.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: 5 * CREDIT_MICROS, description: 'Grant' });
    const dropped = dropFirstAnswer();
    const recorder = recordingFetch(dropped.answer);

    const tx = await internalClient({ fetch: recorder.fetch }).deductions.create({ workspaceId: ws.workspaceId, amountMicros: 2 * CREDIT_MICROS, description: 'Snapshot' });

    expect(recorder.sent.map((r) => r.outcome)).toEqual(['network', 201]);
    const ids = recorder.sent.map((r) => JSON.parse(r.body!).id as string);
    expect(ids[0]).toMatch(/^deduction_/);
    expect(ids[1]).toBe(ids[0]);
    expect(tx).toEqual(dropped.lost[0]);
    const usage = await ws.admin.billing.history({ type: 'usage' });
    expect(usage.data.map((t) => t.id)).toEqual([tx.id]);
    expect((await ws.admin.billing.credits()).balanceMicros).toBe(3 * CREDIT_MICROS);
  });
});

describe('what is retried and what is not', () => {
  it('an error answer (402, 400, 409) is thrown at once: one request each', async () => {
    const ws = await newWorkspace('SDK no retry');
    const recorder = recordingFetch();
    const client = internalClient({ fetch: recorder.fetch, maxRetries: 5 });

    await expect(client.deductions.create({ workspaceId: ws.workspaceId, amountMicros: CREDIT_MICROS, description: 'Too much' })).rejects.toMatchObject({ code: 'insufficient_credits', status: 402 });
    expect(recorder.sent).toHaveLength(1);
    await expect(client.adjustments.create({ workspaceId: ws.workspaceId, amountMicros: 0, description: 'Zero' })).rejects.toMatchObject({ code: 'invalid_request', status: 400 });
    expect(recorder.sent).toHaveLength(2);
    await client.adjustments.create({ id: 'sdk-conflict-once', workspaceId: ws.workspaceId, amountMicros: 1, description: 'A' }).catch(() => undefined);
    await expect(client.adjustments.create({ id: 'sdk-conflict-once', workspaceId: ws.workspaceId, amountMicros: 2, description: 'A' })).rejects.toMatchObject({ code: 'idempotency_conflict' });
    expect(recorder.sent).toHaveLength(4);
    expect(recorder.sent.map((r) => r.outcome)).toEqual([402, 400, expect.any(Number), 409]);
  });

  it('429, 502, 503 and 504 are retried with the same body id until the Worker answers', async () => {
    const ws = await newWorkspace('SDK retry statuses');
    const statuses = [429, 502, 503, 504];
    const recorder = recordingFetch(async (input, init, nth) => (nth <= statuses.length ? serviceError(statuses[nth - 1]!, 'rate_limited') : workerFetch(input, init)));
    const tx = await internalClient({ fetch: recorder.fetch, maxRetries: 4 }).adjustments.create({ workspaceId: ws.workspaceId, amountMicros: CREDIT_MICROS, description: 'Grant' });

    expect(recorder.sent.map((r) => r.outcome)).toEqual([429, 502, 503, 504, 201]);
    expect(new Set(recorder.sent.map((r) => r.body)).size).toBe(1);
    expect(tx).toMatchObject({ type: 'adjustment', amountMicros: CREDIT_MICROS, balanceAfterMicros: CREDIT_MICROS });
  });

  it('gives up after maxRetries with the last error: network_error (status 0) or the last answer', async () => {
    const down = recordingFetch(async () => {
      throw new TypeError('connect ECONNREFUSED');
    });
    const error = await internalClient({ fetch: down.fetch, maxRetries: 2 }).pricing.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BurnrateError);
    expect(error).toMatchObject({ code: 'network_error', status: 0, requestId: null });
    expect((error as BurnrateError).message).toContain('ECONNREFUSED');
    expect(down.sent).toHaveLength(3);

    const busy = recordingFetch(async () => serviceError(503, 'stripe_unavailable'));
    await expect(publicClient('br_any', { fetch: busy.fetch, maxRetries: 1 }).billing.topup({ amountCents: 500 })).rejects.toMatchObject({
      code: 'stripe_unavailable',
      status: 503,
      requestId: 'req_synthetic',
    });
    expect(busy.sent).toHaveLength(2);

    const once = recordingFetch(async () => {
      throw new TypeError('reset');
    });
    await expect(internalClient({ fetch: once.fetch, maxRetries: 0 }).pricing.get()).rejects.toMatchObject({ code: 'network_error' });
    expect(once.sent).toHaveLength(1);
  });

  it('a call with no answer within timeoutMs is a network_error, and is retried', async () => {
    // Answers only by failing when the SDK aborts it.
    const hang: FetchLike = (_input, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const recorder = recordingFetch(hang);
    const error = await internalClient({ fetch: recorder.fetch, timeoutMs: 20, maxRetries: 1 }).pricing.get().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network_error', status: 0 });
    expect((error as Error).message).toContain('no answer within 20 ms');
    expect(recorder.sent).toHaveLength(2);
  });
});
