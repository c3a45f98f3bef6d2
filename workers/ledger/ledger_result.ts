import { ApiError, type ErrorCode } from '../errors/api_error';

// What the Durable Object answers over RPC. Errors travel as values: an exception thrown across
// RPC loses its class, and these outcomes are expected, not exceptional.
export type LedgerFailure = {
  ok: false;
  code: Extract<ErrorCode, 'not_found' | 'insufficient_credits' | 'spend_limit_exceeded' | 'hold_closed' | 'idempotency_conflict' | 'invalid_request' | 'payment_method_required' | 'internal_error'>;
  message: string;
};
export type LedgerResult<T> = { ok: true; value: T; replayed: boolean } | LedgerFailure;

/**
 * The object cannot write to (or vouch for) its workspace's D1 ledger: D1 contradicts its journal
 * (entry_projector.ts logs the cause and stops writing to D1 until it is repaired). A value, not a
 * rejection: an exception thrown out of an RPC method is reported as uncaught on the object's side.
 */
export const ledgerUnavailable: LedgerFailure = {
  ok: false,
  code: 'internal_error',
  message: 'The workspace ledger in D1 contradicts its ledger object; nothing is written to D1 until it is repaired.',
};

export function unwrap<T>(result: LedgerResult<T>): { value: T; replayed: boolean } {
  // Our own failure: the error handler logs it and answers a plain 500.
  if (!result.ok && result.code === 'internal_error') throw new Error(`ledger object: ${result.message}`);
  if (!result.ok) throw new ApiError(result.code, result.message);
  return result;
}
