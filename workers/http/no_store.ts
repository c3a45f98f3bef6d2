import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

/**
 * `Cache-Control: no-store` on every JSON answer (public and internal API, errors from any route,
 * health, the OpenAPI document, the dashboard's live JSON): balances, keys, sign-in links and
 * errors must never be kept by a browser, a proxy or a CDN. An answer that set its own policy keeps
 * it (the versioned dashboard assets, /docs, the CSV download's `private, no-store`); the static
 * assets are served before the Worker runs and are not touched.
 */
export const noStoreJson = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.headers.has('Cache-Control')) return;
  if (/json/i.test(c.res.headers.get('Content-Type') ?? '')) c.header('Cache-Control', 'no-store');
});
