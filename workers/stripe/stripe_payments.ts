import type { Env } from '../env';
import type { PaymentsPort } from '../ledger/payments_port';
import { openAuthenticationPage } from './authentication_checkout';
import { chargeSavedCard } from './charge_saved_card';
import { hasOpenDispute } from './open_disputes';

/** Stripe behind the ledger object's payments port (ledger/payments_port.ts), handed to it by workers/index.ts. */
export const stripePayments = (env: Env): PaymentsPort => ({
  chargeSavedCard: (charge) => chargeSavedCard(env, charge),
  openAuthenticationPage: (request) => openAuthenticationPage(env, request),
  hasOpenDispute,
});
