// The one error type of the SDK: every failed call rejects with a BurnrateError, whether the
// service answered with its error body or no answer arrived at all.
import type { components } from './generated/api';

/**
 * The error codes of the API contract and the service's own 500 (from the OpenAPI document's Error
 * schema), and the SDK's network failure.
 */
export type BurnrateErrorCode =
  | components['schemas']['Error']['error']['code']
  /** No answer: the connection failed or the call timed out (status 0). */
  | 'network_error';

export class BurnrateError extends Error {
  /** The HTTP status; 0 when no answer arrived (network_error). */
  readonly status: number;
  readonly code: BurnrateErrorCode;
  /** The service's request id (quote it to support); null when no answer arrived. */
  readonly requestId: string | null;

  constructor(init: { status: number; code: BurnrateErrorCode; message: string; requestId: string | null; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'BurnrateError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
  }
}

// What a status means when the body is not the service's error shape (a proxy's HTML page, say).
const codeByStatus: Record<number, BurnrateErrorCode> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  402: 'insufficient_credits',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'stripe_unavailable',
};

/** Builds the error for a non-2xx answer from its status, request id header and (parsed) body. */
export function errorFromResponse(status: number, headerRequestId: string | null, body: unknown): BurnrateError {
  const error = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? (error.code as BurnrateErrorCode) : (codeByStatus[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request'));
  const message = typeof error?.message === 'string' ? error.message : `burnrate answered HTTP ${status}`;
  const requestId = typeof error?.requestId === 'string' ? error.requestId : headerRequestId;
  return new BurnrateError({ status, code, message, requestId });
}

export function networkError(message: string, cause: unknown): BurnrateError {
  return new BurnrateError({ status: 0, code: 'network_error', message, requestId: null, cause });
}
