import { Hono } from 'hono';
import Stripe from 'stripe';
import { usableSecret } from '../auth/secret_policy';
import type { AppEnv } from '../env';
import { ApiError } from '../errors/api_error';
import { applyStripeEvent } from '../stripe/apply_event';
import { isEventProcessed } from '../stripe/record_event';
import { cryptoProvider } from '../stripe/stripe_client';

const TOLERANCE_SECONDS = 300;
// Only signature checks use this client; they need no API key.
const verifier = new Stripe('sk_signature_verification_only', { httpClient: Stripe.createFetchHttpClient() });

/** Whether any `t=` of the header lies more than the tolerance ahead of nowMs (a missing or malformed `t` is left to stripe-node). */
export function signedInTheFuture(header: string, nowMs: number): boolean {
  const nowSeconds = Math.floor(nowMs / 1000);
  return header.split(',').some((part) => {
    const t = part.trim().match(/^t=(\d{1,12})$/)?.[1];
    return t !== undefined && Number(t) - nowSeconds > TOLERANCE_SECONDS;
  });
}

/**
 * POST /v1/stripe/webhook. Authenticated only by Stripe-Signature over the raw body. Each event is
 * applied idempotently and recorded with its effect; any failure answers 500 so that Stripe retries.
 * Unknown event types are acknowledged and ignored.
 */
export const stripeWebhook = new Hono<AppEnv>();

stripeWebhook.post('/', async (c) => {
  // Unset, or a published default next to a real Stripe key: 503, so that Stripe keeps retrying
  // until the endpoint has a secret of its own.
  const secret = usableSecret(c.env, c.env.STRIPE_WEBHOOK_SECRET);
  if (!secret) throw new ApiError('stripe_unavailable', 'STRIPE_WEBHOOK_SECRET is not configured (unset, or a published default while STRIPE_SECRET_KEY is set).');
  const signature = c.req.header('stripe-signature');
  if (!signature) throw new ApiError('invalid_request', 'Stripe-Signature: missing.');
  // stripe-node refuses signatures older than the tolerance but not ones dated ahead of now; a
  // signature from the future is as suspect as a stale one (a leaked secret, a skewed signer).
  if (signedInTheFuture(signature, Date.now())) {
    throw new ApiError('invalid_request', `Stripe-Signature: dated more than ${TOLERANCE_SECONDS} s in the future.`);
  }
  const raw = await c.req.text();
  let event: Stripe.Event;
  try {
    event = await verifier.webhooks.constructEventAsync(raw, signature, secret, TOLERANCE_SECONDS, cryptoProvider);
  } catch {
    throw new ApiError('invalid_request', 'Stripe-Signature: does not verify for this body (or is older than 300 s).');
  }

  if (await isEventProcessed(c.env, event.id)) return c.json({ received: true, duplicate: true });

  if (!(await applyStripeEvent(c.env, event))) return c.json({ received: true, ignored: true });
  return c.json({ received: true });
});
