import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { refundAllowances } from './refund_state';

const refund = (id: string, created: number, amount: number, status: string) => ({ id, created, amount, status }) as Stripe.Refund;

describe('refundAllowances: refunds of one deposit never take more than it credited', () => {
  it('uses the deposit up oldest first, whatever order Stripe lists them in', () => {
    const allowances = refundAllowances([refund('re_c', 3, 500, 'succeeded'), refund('re_a', 1, 400, 'succeeded'), refund('re_b', 2, 300, 'succeeded')], 10_000_000);
    expect(Object.fromEntries(allowances)).toEqual({ re_a: 4_000_000, re_b: 3_000_000, re_c: 3_000_000 });
  });

  it('counts a refund that may still succeed against later ones, and one that failed not at all', () => {
    const refunds = [refund('re_pending', 1, 800, 'pending'), refund('re_failed', 2, 1000, 'failed'), refund('re_later', 3, 800, 'succeeded')];
    expect(Object.fromEntries(refundAllowances(refunds, 10_000_000))).toEqual({ re_pending: 8_000_000, re_later: 2_000_000 });
    // Whatever succeeds afterwards, the sum stays within the deposit; once the pending one fails, the later one gets its whole amount.
    refunds[0]!.status = 'failed';
    expect(Object.fromEntries(refundAllowances(refunds, 10_000_000))).toEqual({ re_later: 8_000_000 });
  });

  it('ties on `created` are broken by id, so every reader computes the same allowance', () => {
    const a = refundAllowances([refund('re_2', 5, 600, 'succeeded'), refund('re_1', 5, 600, 'succeeded')], 10_000_000);
    const b = refundAllowances([refund('re_1', 5, 600, 'succeeded'), refund('re_2', 5, 600, 'succeeded')], 10_000_000);
    expect(Object.fromEntries(a)).toEqual(Object.fromEntries(b));
    expect(a.get('re_1')).toBe(6_000_000);
    expect(a.get('re_2')).toBe(4_000_000);
  });

  it('refuses an amount that is not a whole number of cents', () => {
    expect(() => refundAllowances([refund('re_x', 1, 1.5, 'succeeded')], 10_000_000)).toThrow(/not a whole number/);
  });
});
