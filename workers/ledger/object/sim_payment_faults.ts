import type { Env } from '../../env';
import { enableSimHooks, simControl } from '../../lib/sim_hooks';
import type { PaymentsPort } from '../payments_port';

// Tests only: the seeded simulator's faults at the card network (lib/sim_hooks.ts), honoured only
// with the test-only binding SIM_HOOKS. Where a prepaid ledger is easiest to get wrong: Stripe
// charged (or declined) the card and the ledger did not hear of it, or the ledger recorded a
// payment Stripe never heard of. The pending entry must then be settled once, by the webhook or
// reconciliation.
//  - answerLost: Stripe's answer never comes back (the port answers "undecided", as it does for a
//    timeout or a 5xx after the request reached Stripe).
//  - evictAfterCharge: the ledger object is reset right after Stripe answered, before it records
//    the outcome.
//  - evictBeforeCharge: the object is reset after it recorded the pending deposit, before the
//    payment reaches Stripe: reconciliation must find that Stripe has none and fail the deposit.

/** The ledger's payments port, wrapped with the simulator's faults when (and only when) SIM_HOOKS is set. */
export function withSimulatedPaymentFaults(port: PaymentsPort, env: Env, ctx: DurableObjectState): PaymentsPort {
  enableSimHooks(env);
  if (env.SIM_HOOKS !== 'enabled') return port;
  return {
    ...port,
    chargeSavedCard: async (charge) => {
      const before = simControl()?.payments;
      if (before?.evictBeforeCharge) {
        before.evictBeforeCharge = false;
        ctx.abort('evicted by the simulator before it sent a saved-card payment');
      }
      const outcome = await port.chargeSavedCard(charge);
      const faults = simControl()?.payments;
      if (faults?.evictAfterCharge) {
        faults.evictAfterCharge = false;
        ctx.abort('evicted by the simulator after Stripe answered a saved-card payment');
      }
      if (faults?.answerLost) {
        faults.answerLost = false;
        return { outcome: null };
      }
      return outcome;
    },
  };
}
