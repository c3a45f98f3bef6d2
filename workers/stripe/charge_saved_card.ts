import type { Env } from '../env';
import { declineCodeOf } from './intent_details';
import { invoiceOffSessionPayment } from './invoice_off_session';
import { stripeFor } from './stripe_client';
import { classifyStripeError } from './stripe_errors';

export interface SavedCardCharge {
  workspaceId: string;
  /** The pending entry's key (auto_recharge or deposit): also the PaymentIntent's idempotency key. */
  transactionKey: string;
  amountCents: number;
  customerId: string;
  paymentMethodId: string;
  /** Shown on the PaymentIntent (and the card statement's details in the Dashboard). */
  description: string;
}

export interface SavedCardOutcome {
  outcome: 'completed' | 'failed' | null;
  failureReason?: string;
  /** The paid invoice's hosted page (stripe/invoice_off_session.ts): the deposit's invoice link. */
  invoiceUrl?: string | null;
  /**
   * Not a decline: the bank wants the customer to authenticate (3-D Secure), and nothing was
   * charged (outcome stays null). What Stripe answers to an off-session payment is a 402
   * `authentication_required`, its PaymentIntent back in requires_payment_method: `url` is null
   * and the caller offers the customer a page of its own (stripe/authentication_checkout.ts). Some
   * integrations instead get the PaymentIntent waiting in requires_action with Stripe's page in
   * next_action.redirect_to_url: that page is `url`.
   */
  authentication?: { paymentIntentId: string; url: string | null };
}

/**
 * One off-session payment on the saved card. Answers `completed` or `failed` when Stripe decided,
 * and `null` when it did not (or did not answer): the entry then stays pending for the webhook
 * (payment_intent.succeeded / payment_failed), which finds it by the metadata set here, and for
 * reconciliation. A refusal is a decision too (stripe_errors.ts): a declined card, and also a
 * customer deleted at Stripe or a card detached there, fail the payment at once; its
 * failureReason is Stripe's decline code or error code (`resource_missing`, …). A card whose bank
 * wants the customer to authenticate (3-D Secure) is not declined: `authentication` says so.
 */
export async function chargeSavedCard(env: Env, charge: SavedCardCharge): Promise<SavedCardOutcome> {
  try {
    const intent = await stripeFor(env).paymentIntents.create(
      {
        amount: charge.amountCents,
        currency: 'usd',
        customer: charge.customerId,
        payment_method: charge.paymentMethodId,
        off_session: true,
        confirm: true,
        description: charge.description,
        metadata: { workspaceId: charge.workspaceId, transactionKey: charge.transactionKey },
        expand: ['latest_charge'],
      },
      { idempotencyKey: `burnrate-${charge.workspaceId}-${charge.transactionKey}` },
    );
    if (intent.status === 'succeeded') {
      const invoiceUrl = await invoiceOffSessionPayment(env, intent, { workspaceId: charge.workspaceId, transactionKey: charge.transactionKey, description: charge.description });
      return { outcome: 'completed', invoiceUrl };
    }
    if (intent.status === 'requires_payment_method' || intent.status === 'canceled') return { outcome: 'failed', failureReason: declineCodeOf(intent) ?? 'payment_failed' };
    const url = intent.status === 'requires_action' ? intent.next_action?.redirect_to_url?.url : null;
    if (url) return { outcome: null, authentication: { paymentIntentId: intent.id, url } };
    return { outcome: null };
  } catch (error) {
    const verdict = classifyStripeError(error);
    const log = { workspaceId: charge.workspaceId, transactionKey: charge.transactionKey, code: verdict.code, error: verdict.message };
    if (verdict.decided && verdict.kind === 'action_required') {
      if (verdict.paymentIntentId) return { outcome: null, authentication: { paymentIntentId: verdict.paymentIntentId, url: null } };
      return { outcome: 'failed', failureReason: verdict.code };
    }
    if (verdict.decided) {
      if (verdict.kind === 'request_refused') console.warn(JSON.stringify({ level: 'warn', msg: 'saved-card payment refused by Stripe', ...log }));
      return { outcome: 'failed', failureReason: verdict.code };
    }
    console.error(JSON.stringify({ level: 'error', msg: 'saved-card payment undecided', ...log }));
    return { outcome: null };
  }
}
