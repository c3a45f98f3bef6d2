import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { classifyStripeError } from './stripe_errors';

// stripe-node's own error classes, built from the raw bodies Stripe sends.
const cardError = (raw: Record<string, unknown>) => Stripe.errors.StripeError.generate({ type: 'card_error', statusCode: 402, ...raw } as any);

describe('classifyStripeError', () => {
  it('a 402 authentication_required is action required, naming the PaymentIntent Stripe put back in requires_payment_method: not a decline', () => {
    const error = cardError({
      code: 'authentication_required',
      decline_code: 'authentication_required',
      message: 'Your card was declined. This transaction requires authentication.',
      payment_intent: { id: 'pi_123', object: 'payment_intent', status: 'requires_payment_method', last_payment_error: { code: 'authentication_required' } },
    });
    expect(classifyStripeError(error)).toEqual({
      decided: true,
      kind: 'action_required',
      code: 'authentication_required',
      message: 'Your card was declined. This transaction requires authentication.',
      paymentIntentId: 'pi_123',
    });
  });

  it('any other card error is a decline, with its decline code', () => {
    expect(classifyStripeError(cardError({ code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' }))).toMatchObject({
      decided: true,
      kind: 'card_declined',
      code: 'insufficient_funds',
    });
  });
});
