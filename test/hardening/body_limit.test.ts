// Request bodies over 1 MB are refused with 413 payload_too_large before anything parses them, on
// every kind of route; JSON nested absurdly deep is a 400, never a crash.
//
// Contract: /work/shared/CONTRACT.md, "Units and shapes" (413 payload_too_large; the service never
// answers 500 for bad input).
import { beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN, internal, rawFetch } from '../helpers/api';
import { createWorkspace, grant, unique, type TestWorkspace } from '../helpers/fixtures';
import { DRAIN_MAX_BYTES } from '../../workers/http/request_body_limit';

const LIMIT = 1_048_576;
let ws: TestWorkspace;
beforeAll(async () => {
  ws = await createWorkspace('Body limit');
  await grant(ws.workspaceId, 5_000_000);
});

const balanceOf = async (workspaceId: string) =>
  (await internal('GET', `/internal/v1/workspaces/${workspaceId}/credit-check?amountMicros=0`)).body.balanceMicros as number;

/** An adjustment body padded with trailing spaces (valid JSON) to exactly `bytes` bytes. */
function paddedAdjustment(id: string, bytes: number) {
  const json = JSON.stringify({ id, workspaceId: ws.workspaceId, amountMicros: 1_000, description: 'Padded grant' });
  return json + ' '.repeat(bytes - json.length);
}

async function expect413(res: Response) {
  expect(res.status).toBe(413);
  const body = (await res.json()) as any;
  expect(body).toMatchObject({ error: { code: 'payload_too_large', message: expect.stringMatching(/^body: .*1 MB/), requestId: expect.stringMatching(/^req_/) } });
}

/** A body with no Content-Length: `total` bytes of JSON-ish text in 64 KB chunks, counting what was pulled. */
function streamedBody(total: number) {
  const chunk = new TextEncoder().encode(' '.repeat(65_536));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const piece = chunk.subarray(0, Math.min(chunk.byteLength, total - sent));
      sent += piece.byteLength;
      controller.enqueue(piece);
    },
  });
  return { stream, pulled: () => sent };
}

describe('413 payload_too_large', () => {
  it('internal API: one byte over 1 MB (by Content-Length) is refused and nothing is recorded; exactly 1 MB is accepted', async () => {
    const before = await balanceOf(ws.workspaceId);
    const over = paddedAdjustment(unique('big'), LIMIT + 1);
    const headers = { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json', 'content-length': String(over.length) };
    await expect413(await rawFetch('/internal/v1/adjustments', { method: 'POST', headers, body: over }));
    expect(await balanceOf(ws.workspaceId)).toBe(before);

    const exact = paddedAdjustment(unique('exact'), LIMIT);
    const ok = await rawFetch('/internal/v1/adjustments', { method: 'POST', headers: { ...headers, 'content-length': String(LIMIT) }, body: exact });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as any).amountMicros).toBe(1_000);
    expect(await balanceOf(ws.workspaceId)).toBe(before + 1_000);
  });

  it('a streamed body without Content-Length is counted and refused past 1 MB; the rest is read and dropped, so the client can read the 413', async () => {
    const before = await balanceOf(ws.workspaceId);
    const body = streamedBody(8 * LIMIT);
    const res = await rawFetch('/internal/v1/adjustments', {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' },
      body: body.stream,
      // @ts-expect-error duplex is needed for a streamed request body
      duplex: 'half',
    });
    await expect413(res);
    expect(body.pulled()).toBe(8 * LIMIT);
    expect(await balanceOf(ws.workspaceId)).toBe(before);
  });

  it('past DRAIN_MAX_BYTES (100 MB) a refused body is no longer read: still the 413', async () => {
    const body = streamedBody(DRAIN_MAX_BYTES + 8 * LIMIT);
    const res = await rawFetch('/internal/v1/adjustments', {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' },
      body: body.stream,
      // @ts-expect-error duplex is needed for a streamed request body
      duplex: 'half',
    });
    await expect413(res);
    expect(body.pulled()).toBeLessThan(DRAIN_MAX_BYTES + 8 * LIMIT);
  });

  it('Expect: 100-continue changes nothing (a proxy may have said Continue already): drained, then the 413', async () => {
    const body = streamedBody(2 * LIMIT);
    const res = await rawFetch('/internal/v1/adjustments', {
      method: 'POST',
      headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json', 'content-length': String(2 * LIMIT), expect: '100-continue' },
      body: body.stream,
      // @ts-expect-error duplex is needed for a streamed request body
      duplex: 'half',
    });
    await expect413(res);
    expect(body.pulled()).toBe(2 * LIMIT);
  });

  it('a streamed body under the limit goes through unchanged', async () => {
    const json = JSON.stringify({ id: unique('streamed'), workspaceId: ws.workspaceId, amountMicros: 2_000, description: 'Streamed grant' });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(json.slice(0, 10)));
        controller.enqueue(new TextEncoder().encode(json.slice(10)));
        controller.close();
      },
    });
    // @ts-expect-error duplex is needed for a streamed request body
    const res = await rawFetch('/internal/v1/adjustments', { method: 'POST', headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'content-type': 'application/json' }, body: stream, duplex: 'half' });
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).description).toBe('Streamed grant');
  });

  it('public API: refused before authentication or parsing', async () => {
    const res = await rawFetch('/v1/billing/topup', {
      method: 'POST',
      headers: { 'x-api-key': ws.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ amountCents: 2500, pad: 'x'.repeat(LIMIT) }),
    });
    await expect413(res);
  });

  it('Stripe webhook: refused before the signature is checked (a bad signature would be a 400)', async () => {
    const res = await rawFetch('/v1/stripe/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: JSON.stringify({ id: 'evt_big', type: 'checkout.session.completed', pad: 'x'.repeat(LIMIT) }),
    });
    await expect413(res);
  });

  it('dashboard forms: refused before the form is read', async () => {
    const res = await rawFetch('/dashboard/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `apiKey=${'x'.repeat(LIMIT)}`,
    });
    await expect413(res);
  });
});

describe('deeply nested JSON', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('more than 64 levels is 400 invalid_request naming the body; a thousand levels is the same, not a 500', async () => {
    for (const depth of [65, 100_000]) {
      const body = `{"id":"deep-${depth}","workspaceId":"${ws.workspaceId}","amountMicros":1,"description":"x","extra":${nested(depth - 1)}}`;
      const res = await internal('POST', '/internal/v1/adjustments', body);
      expect(res.status, `depth ${depth}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^body: JSON nested deeper than 64 levels/) });
    }
  });

  it('64 levels, and brackets inside strings, are fine (unknown fields ignored)', async () => {
    const id = unique('nest-ok');
    const body = `{"id":"${id}","workspaceId":"${ws.workspaceId}","amountMicros":3,"description":"[[[{{{ \\" ]]]","extra":${nested(63)}}`;
    const res = await internal('POST', '/internal/v1/adjustments', body);
    expect(res.status).toBe(201);
    expect(res.body.description).toBe('[[[{{{ " ]]]');
  });
});
