import type Stripe from 'stripe';
import { centsToMicros } from '../lib/money';

/**
 * The ledger keys of a refund's two possible entries: the `refund` entry taking the credits back
 * once Stripe says the refund succeeded, and the positive `refund` entry giving back what that one
 * took if the refund fails afterwards (Stripe can move a refund from succeeded to failed; the money
 * then returns to the merchant's balance, so the customer keeps their credits).
 */
export const refundKey = (refundId: string) => `refund:${refundId}`;
export const refundReversedKey = (refundId: string) => `refund:${refundId}:reversed`;

/** A refund Stripe completed: the credits go back. */
export const refundSucceeded = (refund: Stripe.Refund) => refund.status === 'succeeded';
/** A refund that will never move money (failed, possibly after succeeding, or canceled). */
export const refundVoided = (refund: Stripe.Refund) => refund.status === 'failed' || refund.status === 'canceled';

/** Oldest first (Stripe lists newest first): the order in which refunds use up their deposit. */
export const oldestFirst = (refunds: readonly Stripe.Refund[]) =>
  [...refunds].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * How much of each refund of one deposit the ledger may take back (micros, by refund id), so that
 * all of them together never exceed what the deposit credited. Refunds use the deposit up oldest
 * first; every refund that may still succeed (pending, requires_action, succeeded) counts in full
 * against those after it, so that an allowance given now stays within the cap whichever of them
 * succeed later. Stripe never refunds more than it charged; the cap holds when a payment and its
 * deposit disagree (what reconciliation reports), and against any future bug.
 *
 * The allowance depends only on Stripe's list, so two deliveries reading the same list compute the
 * same entry (a replay); a refund whose allowance is 0 now is looked at again by the next event,
 * when a refund before it may have failed.
 */
export function refundAllowances(refunds: readonly Stripe.Refund[], depositMicros: number): Map<string, number> {
  const allowances = new Map<string, number>();
  let countedMicros = 0;
  for (const refund of oldestFirst(refunds)) {
    if (refundVoided(refund)) continue;
    if (!Number.isSafeInteger(refund.amount) || refund.amount < 0) throw new Error(`refund ${refund.id}: amount ${refund.amount} is not a whole number of cents`);
    const refundMicros = centsToMicros(refund.amount);
    allowances.set(refund.id, Math.min(refundMicros, Math.max(0, depositMicros - countedMicros)));
    countedMicros += refundMicros;
  }
  return allowances;
}
