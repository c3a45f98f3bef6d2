import { AUTHENTICATION_REQUIRED } from '../ledger/payments_port';
// What a failed Stripe call means for money, decided in one place (docs/stripe-errors.md has the
// table). stripe-node turns every failure into one of its error classes, named by `type`
// (StripeCardError, StripeInvalidRequestError, …), with Stripe's own `code`, `decline_code` and the
// HTTP `statusCode`. A *refusal* is Stripe's final word that it did not act: nothing was charged
// and nothing will be, so a payment waiting on it is failed at once. Anything else (no answer, a
// timeout, a 5xx, a rate limit, a request still in flight under the same idempotency key) is
// *undecided*: Stripe may have acted or may yet act, so the payment stays pending for the webhook and
// reconciliation.

export type StripeVerdict =
  /** The card said no (402 card_error): `code` is Stripe's decline_code, else its error code. */
  | { decided: true; kind: 'card_declined'; code: string; message: string }
  /**
   * Not a decline: the bank wants the customer to authenticate (3-D Secure), which an off-session
   * payment cannot do (402 card_error `authentication_required`). Nothing was charged; Stripe put
   * the PaymentIntent back in requires_payment_method and names it in the error
   * (`paymentIntentId`, null if it did not). The customer can still pay with the bank's challenge
   * on a page of Stripe's (stripe/authentication_checkout.ts).
   */
  | { decided: true; kind: 'action_required'; code: typeof AUTHENTICATION_REQUIRED; message: string; paymentIntentId: string | null }
  /**
   * Stripe refused the request itself (400/404 invalid_request_error: no such customer, no such
   * or a detached payment method, a bad parameter; 401/403: burnrate's key). `code` is Stripe's
   * error code (`resource_missing`, …), else its error type.
   */
  | { decided: true; kind: 'request_refused'; code: string; message: string }
  /** No answer, or one Stripe may still act on. */
  | { decided: false; code: string; message: string };

/** Stripe's error code (and decline_code) for an off-session payment the bank wants authenticated. */
export { AUTHENTICATION_REQUIRED };

interface StripeLikeError {
  type?: string;
  payment_intent?: { id?: string } | null;
  rawType?: string;
  code?: string;
  decline_code?: string;
  statusCode?: number;
  message?: string;
}

export function classifyStripeError(error: unknown): StripeVerdict {
  const e = (typeof error === 'object' && error !== null ? error : {}) as StripeLikeError;
  const message = String(e.message ?? error);
  switch (e.type) {
    case 'StripeCardError':
      if (e.code === AUTHENTICATION_REQUIRED || e.decline_code === AUTHENTICATION_REQUIRED) {
        return { decided: true, kind: 'action_required', code: AUTHENTICATION_REQUIRED, message, paymentIntentId: e.payment_intent?.id ?? null };
      }
      return { decided: true, kind: 'card_declined', code: e.decline_code ?? e.code ?? 'card_declined', message };
    case 'StripeInvalidRequestError':
      // 400 and 404 only (stripe-node's mapping); Stripe did not run the request.
      return { decided: true, kind: 'request_refused', code: e.code ?? e.rawType ?? 'invalid_request_error', message };
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return { decided: true, kind: 'request_refused', code: e.code ?? e.rawType ?? 'authentication_error', message };
    default:
      // StripeConnectionError (no answer, or stripe-node's timeout), StripeAPIError (5xx, and 409
      // idempotency_key_in_use / lock_timeout), StripeRateLimitError, StripeIdempotencyError (an
      // earlier request under the key may have charged), and anything that is not Stripe's.
      return { decided: false, code: e.code ?? e.rawType ?? e.type ?? 'no_answer', message };
  }
}

