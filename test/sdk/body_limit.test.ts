// A body over the service's 1 MB limit whose connection closes before the 413 arrives (a proxy that
// does not wait, or a body past what the service reads and drops): the SDK reports the refusal
// (BurnrateError 413 payload_too_large) at once instead of sending megabytes again, while a small
// body's network failure is still retried. The real server's answers: test/e2e/body_limit.test.mjs.
import { describe, expect, it } from 'vitest';
import { BurnrateError } from '../../sdk/src/index';
import { internalClient, recordingFetch } from './sdk_helpers';

const MB = 1_048_576;
const connectionReset = async (): Promise<Response> => {
  throw new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
};

describe('a body over 1 MB whose connection is reset', () => {
  it('rejects with BurnrateError payload_too_large (413), sent once, the reset as its cause', async () => {
    const recorder = recordingFetch(connectionReset);
    const client = internalClient({ fetch: recorder.fetch, maxRetries: 3 });
    const error = await client.adjustments.create({ workspaceId: 'ws_any', amountMicros: 1, description: 'x'.repeat(2 * MB) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BurnrateError);
    const e = error as BurnrateError;
    expect({ status: e.status, code: e.code, requestId: e.requestId }).toEqual({ status: 413, code: 'payload_too_large', requestId: null });
    expect(e.message).toMatch(/over the service's 1048576-byte \(1 MB\) limit/);
    expect((e.cause as BurnrateError).code).toBe('network_error');
    expect(recorder.sent).toHaveLength(1);
  });

  it('a body within the limit is still a retried network_error', async () => {
    const recorder = recordingFetch(connectionReset);
    const client = internalClient({ fetch: recorder.fetch, maxRetries: 2 });
    const error = await client.adjustments.create({ workspaceId: 'ws_any', amountMicros: 1, description: 'small' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'network_error', status: 0 });
    expect(recorder.sent).toHaveLength(3);
  });
});
