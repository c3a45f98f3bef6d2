// The documented error answers of a route: one response per status, each pointing at the Error
// component and carrying an example body whose `code` is the one the service really sends.
import { statusByCode, type ErrorCode } from '../errors/api_error';
import { EX } from './examples';
import { ErrorSchema } from './error_schema';

export type DocumentedStatus = (typeof statusByCode)[ErrorCode];

/** A status alone stands for its usual code (409 → idempotency_conflict). */
const DEFAULT_CODE: Record<DocumentedStatus, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  402: 'insufficient_credits',
  403: 'forbidden',
  404: 'not_found',
  409: 'idempotency_conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'stripe_unavailable',
};

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid_request: 'amountMicros: Invalid input: expected int, received number',
  unauthenticated: 'Unknown or revoked API key.',
  insufficient_credits: 'The balance (18734500 micros) cannot cover 25000000 micros.',
  spend_limit_exceeded: 'Member mem_8Hc2Lq has 1200000 micros left of a 5000000 micros daily spend limit; 2500000 micros would pass it.',
  hold_closed: 'The hold "stream-91ac" was released; it can no longer be captured.',
  forbidden: 'This action needs a workspace admin.',
  not_found: 'No such workspace.',
  idempotency_conflict: 'The id "deduct-7f3a" was already used with a different request.',
  payment_failed: 'The saved card was declined (insufficient_funds); the deposit is recorded as failed.',
  payment_method_required: 'Save a payment method (complete a top-up, or add a card with POST /v1/billing/payment-methods) before enabling auto-top-up.',
  payload_too_large: 'body: larger than 1048576 bytes (1 MB); nothing was read or recorded.',
  rate_limited: 'Too many requests; retry after a moment.',
  internal_error: 'Something went wrong on our side; nothing was acknowledged.',
  stripe_unavailable: 'Stripe did not answer (checkout session); nothing was charged. Try again.',
};

const WHEN: Record<ErrorCode, string> = {
  invalid_request: 'a body, query, header or path value failed validation; the message names the field',
  unauthenticated: 'missing or unknown credentials',
  insufficient_credits: 'the balance cannot cover the amount; nothing was recorded',
  spend_limit_exceeded: "the amount would pass the member's spend limit for the period; nothing was recorded",
  hold_closed: 'the hold was released (it cannot be captured) or captured (it cannot be released)',
  forbidden: 'authenticated, but the role may not do this',
  not_found: 'no such object in this workspace',
  idempotency_conflict: 'the idempotency key was already used with a different request',
  payment_failed: 'the saved card was declined; the deposit is recorded as failed',
  payment_method_required: 'no reusable payment method is saved (or this would remove the last one while auto-top-up is on)',
  payload_too_large: 'the request body is over 1 MB (1,048,576 bytes); refused before it is parsed',
  rate_limited: 'too many requests',
  internal_error: 'processing failed; nothing was acknowledged, so the sender retries',
  stripe_unavailable: 'Stripe is not configured or did not answer',
};

/** A code, a status (its usual code), or a code with a message specific to the route. */
export type ErrorSpec = ErrorCode | DocumentedStatus | readonly [ErrorCode, string];

const errorBody = (code: ErrorCode, message: string) => ({ error: { code, message, requestId: EX.requestId } });

export function errorResponses(...specs: ErrorSpec[]) {
  const byStatus = new Map<number, Array<{ code: ErrorCode; message: string }>>();
  for (const spec of specs) {
    const [code, message] = typeof spec === 'number' ? [DEFAULT_CODE[spec], undefined] : typeof spec === 'string' ? [spec, undefined] : spec;
    const status = statusByCode[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), { code, message: message ?? DEFAULT_MESSAGE[code] }]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, entries]) => {
      const description = entries.map((e) => `\`${e.code}\`: ${WHEN[e.code]}.`).join(' ');
      // One code: a plain example. Several (409 can be either conflict): one named example each.
      const media =
        entries.length === 1
          ? { schema: ErrorSchema, example: errorBody(entries[0]!.code, entries[0]!.message) }
          : { schema: ErrorSchema, examples: Object.fromEntries(entries.map((e) => [e.code, { summary: e.code, value: errorBody(e.code, e.message) }])) };
      return [status, { description, content: { 'application/json': media } }];
    }),
  );
}
