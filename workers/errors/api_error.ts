// The one error type of the service. Everything a client may see as an error is an ApiError; the
// error handler turns anything else into a 500 without leaking its message.
export const errorCodes = [
  'invalid_request',
  'unauthenticated',
  'forbidden',
  'not_found',
  'idempotency_conflict',
  'insufficient_credits',
  'spend_limit_exceeded',
  'hold_closed',
  'payment_failed',
  'payment_method_required',
  'payload_too_large',
  'rate_limited',
  'stripe_unavailable',
  'internal_error',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** The HTTP status of each code (the contract's table, plus 500 for our own failures). */
export const statusByCode = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  idempotency_conflict: 409,
  insufficient_credits: 402,
  spend_limit_exceeded: 402,
  hold_closed: 409,
  payment_failed: 402,
  payment_method_required: 409,
  payload_too_large: 413,
  rate_limited: 429,
  stripe_unavailable: 503,
  internal_error: 500,
} as const satisfies Record<ErrorCode, number>;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = statusByCode[code];
  }
}

export const notFound = (what: string) => new ApiError('not_found', `No such ${what} in this workspace.`);
