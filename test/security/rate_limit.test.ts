import { describe, expect, it } from 'vitest';
import { internal, publicApi, rawFetch } from '../helpers/api';
import { addMember, createWorkspace } from '../helpers/fixtures';

// wrangler.toml: 1,200 public API requests a minute per API key. The local binding counts in fixed
// windows of the period, so a run that straddles a window boundary may get up to twice the budget
// before the first refusal; the test allows for that and asserts the refusal itself exactly.
const BUDGET = 1_200;

describe('public API rate limit (per API key)', () => {
  it('answers 429 rate_limited with Retry-After once a key spends its budget; other keys and the internal API go on', async () => {
    const ws = await createWorkspace();
    const other = await addMember(ws.workspaceId, 'member');
    let allowed = 0;
    let refused: Response | null = null;
    while (!refused && allowed <= 2 * BUDGET) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, () => rawFetch('/v1/billing/auto-topup', { headers: { 'x-api-key': ws.adminKey } })),
      );
      for (const res of batch) {
        if (res.status === 200) allowed++;
        else if (!refused) refused = res;
        else await res.body?.cancel();
        if (res.status === 200) await res.body?.cancel();
      }
    }
    expect(refused, `no 429 after ${allowed} requests`).not.toBeNull();
    expect(allowed).toBeGreaterThanOrEqual(BUDGET);
    expect(refused!.status).toBe(429);
    expect(refused!.headers.get('retry-after')).toBe('60');
    const body = (await refused!.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.requestId).toBe(refused!.headers.get('x-request-id'));

    // The same key stays refused; another member's key and the platform's internal calls do not.
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).status).toBe(429);
    expect((await publicApi('GET', '/v1/billing/credits', other.apiKey)).status).toBe(200);
    expect((await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=1`)).status).toBe(200);

    // A refused mutation did nothing: no Checkout session, no pending deposit.
    const topup = await publicApi('POST', '/v1/billing/topup', ws.adminKey, { amountCents: 2500 });
    expect(topup.status).toBe(429);
    const deposits = await publicApi('GET', '/v1/billing/credits/history?type=deposit', other.apiKey);
    expect(deposits.body.data).toEqual([]);
  });
});
