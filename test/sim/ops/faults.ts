// Faults: a ledger object evicted between any two steps, the clock jumping hours ahead, D1 errors
// and latency during the next operation, and a saved-card payment's answer lost or the object
// evicted right after Stripe answered it (workers/lib/sim_hooks.ts). While a fault is armed an
// answer may be a 5xx; whatever it was, the invariants after the step must hold.
import { evictIfRunning } from '../sim_helpers';
import { HOUR_MS } from '../clock';
import type { Prng } from '../prng';
import { advanceClock } from '../regions';
import { ledgerStubOf, type World } from '../world';
import type { SimOp } from './op';

export const faultOps: SimOp[] = [
  {
    name: 'evict',
    weight: (w) => (w.workspaces.length > 0 ? 5 : 0),
    async run(w) {
      const ws = w.pickWorkspace()!;
      await evictIfRunning(ledgerStubOf(ws.workspaceId));
      w.note('evict', `ws${ws.index}`);
    },
  },
  {
    name: 'clock_jump',
    weight: () => 3,
    async run(w) {
      const ms = w.rng.int(1, 3) * HOUR_MS + w.rng.int(0, 59) * 60_000;
      await advanceClock(w, ms);
      w.note('clock_jump', `+${Math.round(ms / 60_000)} min`);
    },
  },
];

/** Arms D1 faults for the operation that follows in the same step (simulate.ts disarms them after it). */
export function armD1Fault(w: World): string {
  // A quarter of the time the fault is an eviction at one of the next round trips instead: the object
  // is reset at that await, in the middle of whatever it was doing.
  if (w.rng.chance(0.25)) {
    w.control.d1.evictAt = w.rng.int(1, 4);
    w.faultArmed = true;
    return `the ledger object is evicted at its next D1 round trip no. ${w.control.d1.evictAt}`;
  }
  w.control.d1.failNext = w.rng.int(1, 3);
  w.control.d1.delayMs = w.rng.chance(0.3) ? w.rng.int(1, 15) : 0;
  w.faultArmed = true;
  return `D1 fails the next ${w.control.d1.failNext} round trip(s), ${w.control.d1.delayMs} ms latency`;
}

/**
 * Arms a fault at the card network for the operation that follows: the next saved-card payment
 * (a top-up, or an auto-recharge a spend sets off) has its answer lost after Stripe decided it, or
 * the ledger object is evicted right after Stripe answered. The webhook or reconciliation must then
 * settle the pending entry, once.
 */
export function armPaymentFault(w: World, rng: Prng): string {
  const kind = rng.int(0, 2);
  w.control.payments = { answerLost: kind === 0, evictAfterCharge: kind === 1, evictBeforeCharge: kind === 2 };
  w.faultArmed = true;
  if (kind === 0) return "the next saved-card payment's answer is lost after Stripe decided it";
  if (kind === 1) return 'the ledger object is evicted right after Stripe answers its next saved-card payment';
  return 'the ledger object is evicted just before it sends its next saved-card payment to Stripe';
}

export function disarmFaults(w: World): void {
  w.control.d1.failNext = 0;
  w.control.d1.delayMs = 0;
  w.control.d1.evictAt = 0;
  if (w.control.region) w.control.region.evictAfterExchange = false;
  if (w.control.payments) w.control.payments = { answerLost: false, evictAfterCharge: false, evictBeforeCharge: false };
  w.faultArmed = false;
}
