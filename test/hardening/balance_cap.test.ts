// Balances stay below MAX_BALANCE_MICROS (10^15 micros = one billion credits, far inside 2^53):
// a grant or deposit that would pass it is a 400 naming the field, and records nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_BALANCE_MICROS, MAX_ENTRY_MICROS } from '../../workers/lib/money';
import { internal, publicApi } from '../helpers/api';
import { createWorkspace, deduct, unique, type TestWorkspace } from '../helpers/fixtures';
import { topup } from '../stripe/stripe_helpers';

let ws: TestWorkspace;
const adjust = (amountMicros: number, id = unique('cap')) => internal('POST', '/internal/v1/adjustments', { id, workspaceId: ws.workspaceId, amountMicros, description: 'Cap test' });
const balance = async () => (await publicApi('GET', '/v1/billing/credits', ws.adminKey)).body.balanceMicros as number;
const newestEntryId = async () => (await publicApi('GET', '/v1/billing/credits/history?limit=1', ws.adminKey)).body.data[0]?.id as string | undefined;

beforeAll(async () => {
  expect(MAX_BALANCE_MICROS).toBe(1e15);
  expect(MAX_BALANCE_MICROS).toBeLessThan(Number.MAX_SAFE_INTEGER);
  ws = await createWorkspace('Balance cap');
  // Up to the cap exactly, in the largest single movements allowed.
  const grants = MAX_BALANCE_MICROS / MAX_ENTRY_MICROS;
  for (let start = 0; start < grants; start += 50) {
    const results = await Promise.all(Array.from({ length: Math.min(50, grants - start) }, (_, i) => adjust(MAX_ENTRY_MICROS, `cap-fill-${start + i}`)));
    for (const r of results) expect(r.status).toBe(201);
  }
}, 120_000);

describe('the maximum balance', () => {
  it('is reachable exactly, and one more micro is refused: 400 naming amountMicros, nothing recorded', async () => {
    expect(await balance()).toBe(MAX_BALANCE_MICROS);
    const newest = await newestEntryId();
    const res = await adjust(1);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^amountMicros: the balance would exceed its maximum of 1000000000000000 micros/) });
    expect(await balance()).toBe(MAX_BALANCE_MICROS);
    expect(await newestEntryId()).toBe(newest);
  });

  it('a replay of a grant recorded before the cap still answers its original result', async () => {
    const res = await adjust(MAX_ENTRY_MICROS, 'cap-fill-0');
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(await balance()).toBe(MAX_BALANCE_MICROS);
  });

  it('a top-up (Checkout) over the cap is 400 naming amountCents, with no pending deposit', async () => {
    const before = (await publicApi('GET', '/v1/billing/credits/history?type=deposit', ws.adminKey)).body.data.length;
    const res = await topup(ws.adminKey, 500);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^amountCents: the balance would exceed/) });
    expect((await publicApi('GET', '/v1/billing/credits/history?type=deposit', ws.adminKey)).body.data.length).toBe(before);
  });

  it('money going out is never refused, and room made below the cap can be granted again', async () => {
    expect((await deduct(ws.workspaceId, 2_000)).status).toBe(201);
    expect((await adjust(-1_000)).status).toBe(201);
    expect(await balance()).toBe(MAX_BALANCE_MICROS - 3_000);
    expect((await adjust(3_001)).status).toBe(400);
    expect((await adjust(3_000)).status).toBe(201);
    expect(await balance()).toBe(MAX_BALANCE_MICROS);
  });
});
