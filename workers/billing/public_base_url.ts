import type { Env } from '../env';
import { ApiError } from '../errors/api_error';

/** PUBLIC_BASE_URL's origin (`https://billing.example.com`), or null when it is unset or not an http(s) URL. */
export function configuredPublicOrigin(env: Env): string | null {
  const raw = env.PUBLIC_BASE_URL?.trim();
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * Where Stripe sends the payer's browser back. Always PUBLIC_BASE_URL, never the request's Host
 * header: anyone can send a request with `Host: evil.example`, and a Checkout page that returns the
 * payer to a look-alike site is a phishing kit. Unset, a top-up through Checkout is refused with
 * 503 stripe_unavailable before anything is created at Stripe (Checkout is not usable until it is).
 */
export function checkoutReturnOrigin(env: Env): string {
  const origin = configuredPublicOrigin(env);
  if (!origin) {
    throw new ApiError('stripe_unavailable', 'PUBLIC_BASE_URL is not configured, so Stripe Checkout would have nowhere to send the payer back; nothing was charged.');
  }
  return origin;
}
