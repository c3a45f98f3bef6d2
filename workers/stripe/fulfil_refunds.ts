import type Stripe from 'stripe';
import type { Env } from '../env';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { centsToMicros, dollarsFromCents } from '../lib/money';
import { depositEntry, fulfilPaymentIntent } from './fulfil_payment_intent';
import { recordEvent, type StripeEventRef } from './record_event';
import { callStripe, idOf, stripeFor } from './stripe_client';
import { simBroken } from '../lib/sim_hooks';

/**
 * The refunds on a charge (charge.refunded), for any kind of deposit: a Checkout top-up, a
 * saved-card top-up or an auto-recharge, found through the charge's PaymentIntent. The deposit is
 * completed first if Stripe's word that it was paid has not arrived yet (a refund implies it), then
 * each Stripe refund object becomes one `refund` entry keyed by its id: partial and repeated
 * refunds each count once, however often the event comes. A refund never takes the balance below
 * zero; what it cannot take is recorded as forgiven. Answers false when the charge is not ours.
 */
export async function fulfilChargeRefunds(env: Env, charge: Stripe.Charge, event: StripeEventRef): Promise<boolean> {
  const paymentIntentId = idOf(charge.payment_intent as string | { id: string } | null);
  if (!paymentIntentId) return false;
  const deposit = await fulfilPaymentIntent(env, paymentIntentId);
  if (!deposit) return false;
  const entry = await depositEntry(env, deposit);
  if (!entry) return false;
  // Stripe only refunds what was paid; a deposit still pending here means its completion failed
  // just now: answer 5xx so that Stripe delivers the refund again. A deposit the ledger holds as
  // failed never credited anything, so there is nothing to take back: acknowledged, and logged
  // as the mismatch it is.
  if (entry.status === 'pending') throw new Error(`refund of pending deposit ${entry.id}: not applied yet`);
  if (entry.status !== 'completed') {
    console.error(JSON.stringify({ level: 'error', msg: 'refund of a deposit recorded as failed; nothing taken', workspaceId: deposit.workspaceId, transactionId: entry.id, charge: charge.id }));
    await recordEvent(env, event, deposit.workspaceId);
    return true;
  }

  const stripe = stripeFor(env);
  const refunds = charge.refunds?.data?.length && !charge.refunds.has_more
    ? charge.refunds.data
    : (await callStripe('refunds', () => stripe.refunds.list({ charge: charge.id, limit: 100 }))).data;
  const effective = refunds.filter((r) => r.status === 'succeeded' || r.status === 'pending');
  const what = entry.type === 'auto_recharge' ? 'an auto-recharge' : 'a top-up';
  const ledger = ledgerFor(env, deposit.workspaceId);
  // The event id is recorded (in the directory) once the last refund entry it causes has committed.
  for (const [i, refund] of effective.entries()) {
    unwrap(
      await ledger.postEntry({
        workspaceId: deposit.workspaceId,
        // (Keyed by the delivery only under the simulator's test-only switch: proves its Stripe-once check fails.)
        id: simBroken('stripe_refund_per_delivery') ? `refund:${refund.id}:${event.id}` : `refund:${refund.id}`,
        kind: 'refund',
        amountMicros: -centsToMicros(refund.amount),
        description: `Refund of ${what} (${dollarsFromCents(refund.amount)})`,
        stripeEvent: i === effective.length - 1 ? event : undefined,
      }),
    );
  }
  // And once all of them exist, in any case: the last refund in the list may be one an earlier event
  // already entered (its replay records nothing), while this event brought a new one.
  await recordEvent(env, event, deposit.workspaceId);
  return true;
}
