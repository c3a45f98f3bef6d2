// GET /__scheduled?time= (`npm start` only) settles the hours before `time`: a time in the future
// would settle hours that have not happened yet (a running instance billed to the end of an hour it
// may not live through), so it is refused with 400 naming `time`; the present and the past run.
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../workers/env';
import { handleError } from '../../workers/errors/error_handler';
import { localScheduledRoute } from '../../workers/settlement/local_scheduled_route';

// The route as `npm start` serves it (LOCAL_SCHEDULED_ROUTE=enabled), with the service's error handler.
const app = new Hono<AppEnv>();
app.onError(handleError);
app.route('/__scheduled', localScheduledRoute);
const fire = (query: string) => app.request(`/__scheduled?cron=0+*+*+*+*${query}`, {}, { ...env, LOCAL_SCHEDULED_ROUTE: 'enabled' });

describe('/__scheduled time', () => {
  it('a time in the future is 400 invalid_request naming time; nothing runs', async () => {
    for (const time of [Date.now() + 60_000, Date.now() + 3_600_000, 9_000_000_000_000_000]) {
      const res = await fire(`&time=${time}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.message).toMatch(/^time: .*future/);
    }
  });

  it('now, a past time, and no time at all run the cron', async () => {
    for (const query of [`&time=${Date.now()}`, `&time=${Date.now() - 2 * 3_600_000}`, '']) {
      const res = await fire(query);
      expect(res.status, query).toBe(200);
      expect(await res.text()).toMatch(/^Ran scheduled event: settlement of hours before /);
    }
  });

  it('not epoch milliseconds is still 400 naming time', async () => {
    const res = await fire('&time=tomorrow');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^time: /);
  });
});
