import type Stripe from 'stripe';
import type { Env } from '../env';
import { dollarsFromCents } from '../lib/money';
import { receiptUrlOf } from './intent_details';
import { idOf, stripeFor } from './stripe_client';

/** The off-session deposit a paid PaymentIntent is for (its metadata; see charge_saved_card.ts). */
export interface InvoicedPayment {
  workspaceId: string;
  transactionKey: string;
  /** What the invoice's line says (the PaymentIntent's description). */
  description: string;
}

/**
 * The paid Stripe invoice of an off-session payment (saved-card top-up, auto-recharge): Stripe
 * makes none for a bare PaymentIntent, so after it succeeded burnrate creates a draft for the
 * customer, adds one line for the amount received, finalizes it and marks it paid out of band (the
 * money already arrived through the PaymentIntent, which stays the object that webhooks, refunds,
 * disputes and reconciliation key on). Every call has an idempotency key derived from the
 * deposit's key, so a retry, or the webhook path doing the same after the ledger object did,
 * replays the same invoice instead of making a second. Answers its `hosted_invoice_url`, or the
 * charge's receipt when Stripe did not answer (the deposit is paid either way: it is never held
 * back for its paperwork).
 */
export async function invoiceOffSessionPayment(env: Env, intent: Stripe.PaymentIntent, payment: InvoicedPayment): Promise<string | null> {
  const stripe = stripeFor(env);
  const key = `burnrate-${payment.workspaceId}-${payment.transactionKey}-invoice`;
  const customer = idOf(intent.customer as string | { id: string } | null);
  if (!customer) return receiptUrlOf(intent);
  try {
    const draft = await stripe.invoices.create(
      {
        customer,
        currency: intent.currency,
        auto_advance: false,
        collection_method: 'charge_automatically',
        pending_invoice_items_behavior: 'exclude',
        description: `${payment.description} (${dollarsFromCents(intent.amount_received)}), paid by card`,
        metadata: { workspaceId: payment.workspaceId, transactionKey: payment.transactionKey, paymentIntent: intent.id },
      },
      { idempotencyKey: key },
    );
    await stripe.invoiceItems.create(
      { customer, invoice: draft.id, amount: intent.amount_received, currency: intent.currency, description: payment.description, metadata: { paymentIntent: intent.id } },
      { idempotencyKey: `${key}-item` },
    );
    await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false }, { idempotencyKey: `${key}-finalize` });
    const paid = await stripe.invoices.pay(draft.id, { paid_out_of_band: true }, { idempotencyKey: `${key}-pay` });
    return paid.hosted_invoice_url ?? receiptUrlOf(intent);
  } catch (error) {
    const e = error as { type?: string; code?: string; message?: string };
    console.error(JSON.stringify({ level: 'error', msg: 'invoice of an off-session payment failed; linking its receipt', workspaceId: payment.workspaceId, paymentIntent: intent.id, type: e.type, code: e.code, error: String(e.message ?? error) }));
    return receiptUrlOf(intent);
  }
}
