import { buildApp } from './app';
import type { Env } from './env';

export { WorkspaceLedger } from './ledger/workspace_ledger';

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
