import type { Env } from '../env';
import type { SavedCardCharge, SavedCardOutcome } from '../ledger/payments_port';
import { declineCodeOf } from './intent_details';
import { invoiceOffSessionPayment } from './invoice_off_session';
import { stripeFor } from './stripe_client';
import { classifyStripeError } from './stripe_errors';

export type { SavedCardCharge, SavedCardOutcome };

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
