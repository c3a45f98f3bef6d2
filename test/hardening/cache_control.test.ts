// API answers carry `Cache-Control: no-store`: balances, keys, links and errors must never be kept
// by a browser, a proxy or a CDN. Pages and assets keep their own policies.
import { describe, expect, it } from 'vitest';
import { internal, publicApi, rawFetch } from '../helpers/api';
import { createWorkspace, grant } from '../helpers/fixtures';
import { ASSET_VERSION } from '../../workers/dashboard/dashboard_assets';

describe('Cache-Control: no-store', () => {
  it('on public API answers, successes and errors', async () => {
    const ws = await createWorkspace();
    await grant(ws.workspaceId, 1_000_000);
    for (const res of [
      await publicApi('GET', '/v1/billing/credits', ws.adminKey),
      await publicApi('GET', '/v1/billing/credits/history', ws.adminKey),
      await publicApi('GET', '/v1/billing/credits', null),
      await publicApi('GET', '/v1/billing/credits/history?limit=0', ws.adminKey),
    ]) {
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('on internal API answers, successes and errors (the 413 and unknown routes too)', async () => {
    const ws = await createWorkspace();
    const answers = [
      await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=0`),
      await internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/dashboard-links`, { memberId: ws.adminMemberId }),
      await internal('GET', `/internal/v1/workspaces/${ws.workspaceId}/credit-check?amountMicros=0`, undefined, 'Bearer wrong'),
      await internal('GET', '/internal/v1/no-such-route'),
    ];
    const tooLarge = await rawFetch('/internal/v1/adjustments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ' '.repeat(1_048_577) });
    expect(tooLarge.status).toBe(413);
    for (const headers of [...answers.map((a) => a.headers), tooLarge.headers]) expect(headers.get('cache-control')).toBe('no-store');
    expect(answers.map((a) => a.status)).toEqual([200, 201, 401, 404]);
  });

  it('health and the OpenAPI document, which are JSON too', async () => {
    for (const path of ['/healthz', '/openapi.json']) expect((await rawFetch(path, {})).headers.get('cache-control'), path).toBe('no-store');
  });

  it('not on the versioned dashboard assets or the docs page, which keep their caching; the CSV stays private', async () => {
    expect((await rawFetch(`/dashboard/assets/app.css?v=${ASSET_VERSION}`, {})).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await rawFetch('/docs', {})).headers.get('cache-control')).toBe('public, max-age=300');
    const ws = await createWorkspace();
    expect((await publicApi('GET', '/v1/billing/credits/history.csv', ws.adminKey)).headers.get('cache-control')).toBe('private, no-store');
  });
});
