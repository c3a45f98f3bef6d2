import type { Env } from '../env';
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

/**
 * One off-session payment on the saved card. Answers `completed` or `failed` when Stripe decided,
 * and `null` when it did not (or did not answer): the entry then stays pending for the webhook.
 */
export async function chargeSavedCard(env: Env, charge: SavedCardCharge): Promise<{ outcome: 'completed' | 'failed' | null; failureReason?: string }> {
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
      },
      { idempotencyKey: `burnrate-${charge.workspaceId}-${charge.transactionKey}` },
    );
    if (intent.status === 'succeeded') return { outcome: 'completed' };
    if (intent.status === 'requires_payment_method' || intent.status === 'canceled') return { outcome: 'failed', failureReason: intent.last_payment_error?.code ?? 'payment_failed' };
    return { outcome: null };
  } catch (error) {
    const e = error as { type?: string; code?: string; decline_code?: string; message?: string };
    if (e.type === 'StripeCardError') return { outcome: 'failed', failureReason: e.decline_code ?? e.code ?? 'card_declined' };
    console.error(JSON.stringify({ level: 'error', msg: 'auto-recharge payment undecided', workspaceId: charge.workspaceId, error: String(e.message ?? error) }));
    return { outcome: null };
  }
}
