// The benchmark's own entry (bench/server.mjs runs `wrangler dev` on it): the deployed Worker
// (index.ts) plus the floor routes under /__bench. Only this module imports them, so `npm run
// deploy` and `npm run build:check`, which bundle index.ts, never contain them.
import { buildApp } from '../app';
import { workerFor } from '../worker_handlers';
import { benchFloor } from './bench_floor';

// The same Durable Object classes as the deployed entry, whatever they become.
export * from '../index';

const app = buildApp();
// Behind the same middleware as every route (request id, no-store, body limit, error handler):
// Hono runs the app's `use('*')` handlers, registered first, before routes added later too.
app.route('/__bench', benchFloor);

export default workerFor(app);
