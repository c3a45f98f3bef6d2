import type Stripe from 'stripe';
import type { Env } from '../env';
import { fulfilCheckoutSessionEvent } from './fulfil_checkout_session';
import { fulfilDispute } from './fulfil_disputes';
import { fulfilPaymentIntent } from './fulfil_payment_intent';
import { fulfilRefunds, hintOfCharge, hintOfRefund } from './fulfil_refunds';

/** The Stripe event types burnrate acts on (the webhook endpoint's subscription; see README). */
export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.dispute.created',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  'charge.dispute.closed',
] as const;

/**
 * One Stripe event through its object's fulfilment path, whoever brings it (the webhook, or
 * reconciliation replaying Stripe's event list). Each path records the event in stripe_events with
 * its effect (or alone when it moved nothing); events of objects that are not burnrate's are
 * left unrecorded. Answers false for event types burnrate ignores.
 */
export async function applyStripeEvent(env: Env, event: Stripe.Event): Promise<boolean> {
  const ref = { id: event.id, type: event.type };
  switch (event.type) {
    // Checkout sessions are looked up at Stripe before the ledger moves, and Stripe's session
    // decides whether it was paid or failed, whatever the event's type says (fulfilCheckoutSessionEvent).
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired':
      await fulfilCheckoutSessionEvent(env, event.data.object, ref);
      return true;
    // A refund event only names the PaymentIntent (or charge) whose refunds are read back from
    // Stripe: their amounts and statuses there decide (fulfilRefunds), not the event's copy.
    case 'charge.refunded':
      await fulfilRefunds(env, hintOfCharge(event.data.object), ref);
      return true;
    case 'charge.refund.updated':
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed':
      await fulfilRefunds(env, hintOfRefund(event.data.object), ref);
      return true;
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
      // Stripe's current state decides, not the event's copy (events may arrive out of order).
      await fulfilPaymentIntent(env, event.data.object, ref);
      return true;
    case 'charge.dispute.created':
    case 'charge.dispute.funds_withdrawn':
    case 'charge.dispute.funds_reinstated':
    case 'charge.dispute.closed':
      // Likewise: the dispute as Stripe holds it now decides what moves.
      await fulfilDispute(env, event.data.object, ref);
      return true;
    default:
      return false;
  }
}
