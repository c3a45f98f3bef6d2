import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { Hono } from 'hono';
import Stripe from 'stripe';
import { stripeEvents } from '../../schema/tables';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';
import { fulfilCheckoutSession } from '../stripe/fulfil_checkout_session';
import { fulfilPaymentIntent } from '../stripe/fulfil_payment_intent';
import { fulfilChargeRefunds } from '../stripe/fulfil_refunds';
import { cryptoProvider } from '../stripe/stripe_client';

const TOLERANCE_SECONDS = 300;
// Only signature checks use this client; they need no API key.
const verifier = new Stripe('sk_signature_verification_only', { httpClient: Stripe.createFetchHttpClient() });

/**
 * POST /v1/stripe/webhook. Authenticated only by Stripe-Signature over the raw body. Each event is
 * applied idempotently and recorded with its effect; any failure answers 500 so that Stripe retries.
 * Unknown event types are acknowledged and ignored.
 */
export const stripeWebhook = new Hono<AppEnv>();

stripeWebhook.post('/', async (c) => {
  const secret = c.env.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new ApiError('stripe_unavailable', 'STRIPE_WEBHOOK_SECRET is not configured.');
  const signature = c.req.header('stripe-signature');
  if (!signature) throw new ApiError('invalid_request', 'Stripe-Signature: missing.');
  const raw = await c.req.text();
  let event: Stripe.Event;
  try {
    event = await verifier.webhooks.constructEventAsync(raw, signature, secret, TOLERANCE_SECONDS, cryptoProvider);
  } catch {
    throw new ApiError('invalid_request', 'Stripe-Signature: does not verify for this body (or is older than 300 s).');
  }

  const seen = await drizzle(c.env.DB).select({ id: stripeEvents.eventId }).from(stripeEvents).where(eq(stripeEvents.eventId, event.id)).get();
  if (seen) return c.json({ received: true, duplicate: true });

  const ref = { id: event.id, type: event.type };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      await fulfilCheckoutSession(c.env, event.data.object, ref);
      break;
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired':
      await fulfilCheckoutSession(c.env, event.data.object, ref, 'failed');
      break;
    case 'charge.refunded':
      await fulfilChargeRefunds(c.env, event.data.object, ref);
      break;
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed':
      // Stripe's current state decides, not the event's copy (events may arrive out of order).
      await fulfilPaymentIntent(c.env, event.data.object, ref);
      break;
    default:
      return c.json({ received: true, ignored: true });
  }
  return c.json({ received: true });
});
