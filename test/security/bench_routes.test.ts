import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';

// The benchmark's floor routes write straight to D1; they exist only in the benchmark's own entry
// (workers/bench/bench_worker.ts), not in wrangler.toml's main that the tests and deploy run
// (scripts/test/deploy_bundle.test.mjs checks the deployed bundle has none of their code).
describe('/__bench routes', () => {
  it.each([
    ['POST', '/__bench/raw-usage-insert'],
    ['POST', '/__bench/accept-usage'],
    ['GET', '/__bench/counts'],
  ])('%s %s is a 404 even with the internal token', async (method, path) => {
    const res = await internal(method, path, method === 'POST' ? { workspaceId: 'ws_x', events: [] } : undefined);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

// The local cron route lets the caller choose when settlement runs; only `npm start` turns it on.
describe('/__scheduled', () => {
  it('is a 404 unless LOCAL_SCHEDULED_ROUTE=enabled', async () => {
    const res = await internal('GET', `/__scheduled?cron=0+*+*+*+*&time=${Date.now() + 3_600_000}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
