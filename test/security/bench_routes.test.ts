import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';

// The benchmark's floor routes write straight to D1; they must not exist unless the benchmark's own
// server turned them on (BENCH_ROUTES=enabled), and the test configuration does not.
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
