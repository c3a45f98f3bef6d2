import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';

// The benchmark's floor routes write straight to D1; they must not exist unless the benchmark's own
// server turned them on (BENCH_ROUTES=enabled), and the test configuration does not.
describe('/__bench routes', () => {
  it.each([
    ['POST', '/__bench/raw-usage-insert'],
    ['GET', '/__bench/counts'],
  ])('%s %s is a 404 even with the internal token', async (method, path) => {
    const res = await internal(method, path, method === 'POST' ? { workspaceId: 'ws_x', events: [] } : undefined);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
