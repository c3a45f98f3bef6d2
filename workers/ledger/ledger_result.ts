import { ApiError, type ErrorCode } from '../errors/api_error';

// What the Durable Object answers over RPC. Errors travel as values: an exception thrown across
// RPC loses its class, and these outcomes are expected, not exceptional.
export type LedgerFailure = { ok: false; code: Extract<ErrorCode, 'not_found' | 'insufficient_credits' | 'idempotency_conflict' | 'invalid_request' | 'payment_method_required'>; message: string };
export type LedgerResult<T> = { ok: true; value: T; replayed: boolean } | LedgerFailure;

export function unwrap<T>(result: LedgerResult<T>): { value: T; replayed: boolean } {
  if (!result.ok) throw new ApiError(result.code, result.message);
  return result;
}
