import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';

/** Where the Add Credits form may send the browser: our own pages and Stripe's hosted checkout. */
function checkoutOrigin(env: AppEnv['Bindings']): string {
  if (!env.STRIPE_SECRET_KEY && env.STRIPE_EMULATOR_URL) return new URL(env.STRIPE_EMULATOR_URL).origin;
  return 'https://checkout.stripe.com';
}

// Everything the page loads comes from this Worker; nothing may frame it; pages are never cached
// (they show money). form-action also governs the redirect after a post, hence Stripe's origin.
export const dashboardSecurityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self' ${checkoutOrigin(c.env)}; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Frame-Options', 'DENY');
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
});
