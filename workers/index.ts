import { buildApp } from './app';
import { workerFor } from './worker_handlers';

export { WorkspaceLedger } from './ledger/workspace_ledger';
export { HoldIdRegistry } from './tenancy/hold_id_registry';
export { RegionalLedger } from './regions/regional_ledger';

// What `npm run deploy` ships. The benchmark's floor routes are not here: its server runs
// bench/bench_worker.ts instead (scripts/test/deploy_bundle.test.mjs checks the bundle).
export default workerFor(buildApp());
