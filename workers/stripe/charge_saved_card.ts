import type { Env } from '../env';
import { declineCodeOf } from './intent_details';
import { invoiceOffSessionPayment } from './invoice_off_session';
import { stripeFor } from './stripe_client';

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
}

/**
 * One off-session payment on the saved card. Answers `completed` or `failed` when Stripe decided,
 * and `null` when it did not (or did not answer): the entry then stays pending for the webhook
 * (payment_intent.succeeded / payment_failed), which finds it by the metadata set here.
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
    return { outcome: null };
  } catch (error) {
    const e = error as { type?: string; code?: string; decline_code?: string; message?: string };
    if (e.type === 'StripeCardError') return { outcome: 'failed', failureReason: e.decline_code ?? e.code ?? 'card_declined' };
    console.error(JSON.stringify({ level: 'error', msg: 'auto-recharge payment undecided', workspaceId: charge.workspaceId, error: String(e.message ?? error) }));
    return { outcome: null };
  }
}
