import { MAX_BALANCE_MICROS } from '../../lib/money';
import type { LedgerFailure } from '../ledger_result';

/**
 * The one check that keeps balances below MAX_BALANCE_MICROS (and so exact as JavaScript numbers):
 * every movement that adds money by decision — a grant or positive adjustment, opening a deposit
 * (Checkout or saved card) — asks here first. `field` is the request field the 400 names.
 * A deposit Stripe has already been paid for is credited regardless (see deposits.ts CloseDepositWrite).
 */
export function balanceCapFailure(balanceMicros: number, addMicros: number, field: string): LedgerFailure | null {
  if (addMicros <= 0 || balanceMicros + addMicros <= MAX_BALANCE_MICROS) return null;
  return {
    ok: false,
    code: 'invalid_request',
    message: `${field}: the balance would exceed its maximum of ${MAX_BALANCE_MICROS} micros (1,000,000,000 credits); it is ${balanceMicros} micros now.`,
  };
}
