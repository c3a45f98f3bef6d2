import { buildApp } from './app';
import { WorkspaceLedger as LedgerObject } from './ledger/object/workspace_ledger';
import type { PaymentsPort } from './ledger/payments_port';
import { stripePayments } from './stripe/stripe_payments';
import { workerFor } from './worker_handlers';

export { HoldIdRegistry } from './tenancy/hold_id_registry';
export { RegionalLedger } from './regions/regional_ledger';

/** The workspace's ledger object, handed Stripe as its payments port (the ledger imports no Stripe). */
export class WorkspaceLedger extends LedgerObject {
  protected paymentsPort(): PaymentsPort {
    return stripePayments(this.env);
  }
}

// What `npm run deploy` ships. The benchmark's floor routes are not here: its server runs
// bench/bench_worker.ts instead (scripts/test/deploy_bundle.test.mjs checks the bundle).
export default workerFor(buildApp());
