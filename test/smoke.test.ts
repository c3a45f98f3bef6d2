import { describe, expect, it } from 'vitest';
import { publicApi } from './helpers/api';
import { createWorkspace, deduct, grant } from './helpers/fixtures';

describe('smoke', () => {
  it('grants, deducts and reports the balance', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 10_000_000);
    const d = await deduct(ws.workspaceId, 2_500_000);
    expect(d.status).toBe(201);
    expect(d.body.balanceAfterMicros).toBe(7_500_000);
    const credits = await publicApi('GET', '/v1/billing/credits', ws.adminKey);
    expect(credits.status).toBe(200);
    expect(credits.body.balanceMicros).toBe(7_500_000);
  });
});
