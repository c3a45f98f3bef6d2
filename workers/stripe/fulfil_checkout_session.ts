import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { checkoutSessions } from '../../schema/tables';
import type { Env } from '../env';
import { directoryDb, ledgerDbOf } from '../storage/databases';
import { findByKey } from '../ledger/entry_replay';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { toTransactionView, type TransactionView } from '../ledger/transaction_view';
import { customerOf, makeDefaultCard } from './default_card';
import { AUTHENTICATION_EXPIRED } from './intent_details';
import { recordEvent, type StripeEventRef } from './record_event';
import { callStripe, idOf, stripeFor } from './stripe_client';

export type CheckoutOutcome = { status: 'completed' | 'failed' | 'pending'; transaction: TransactionView };
export type SetupOutcome = { status: 'saved' | 'pending'; workspaceId: string; paymentMethodId: string | null };

/**
 * The one way a Checkout Session moves burnrate, whoever brings it (the webhook, GET
 * /v1/billing/success, the dashboard's return from Checkout, a refund arriving first): a
 * payment-mode session settles its deposit (paid → completed with its invoice link, expired or its
 * payment failed → failed, else still pending), a setup-mode session makes its card the default.
 * The ledger settles a deposit once, so calls may race in any order and any number.
 */
export async function fulfilCheckoutSession(env: Env, session: Stripe.Checkout.Session, event?: StripeEventRef) {
  if (session.mode === 'setup') {
    const outcome = await fulfilSetupSession(env, session);
    if (event) await recordEvent(env, event, outcome?.workspaceId ?? null);
    return outcome;
  }
  return fulfilPaymentSession(env, session, event);
}

/**
 * A checkout.session.* webhook event. The event body is only a notification, and so is its type:
 * before the ledger moves, the session is retrieved from Stripe (as GET /v1/billing/success does)
 * and its state there decides, so a forged or replayed body signed with a leaked secret, or an
 * event that is stale by the time it arrives, cannot credit a deposit that Stripe does not say is
 * paid, nor fail one that Stripe still has open (an `expired` notice for a session the payer is
 * still on would otherwise keep their payment from crediting). Payment sessions burnrate did not
 * create are ignored without asking Stripe.
 */
export async function fulfilCheckoutSessionEvent(env: Env, notified: Stripe.Checkout.Session, event: StripeEventRef) {
  if (notified.mode !== 'setup') {
    const known = await directoryDb(env).select({ sessionId: checkoutSessions.sessionId }).from(checkoutSessions).where(eq(checkoutSessions.sessionId, notified.id)).get();
    if (!known) return null;
  }
  const stripe = stripeFor(env);
  const session = await callStripe('checkout session', () => stripe.checkout.sessions.retrieve(notified.id));
  return fulfilCheckoutSession(env, session, event);
}

/**
 * Whether Stripe says this payment session will never be paid: it expired, or it completed with a
 * delayed payment method whose payment then failed (the session stays `complete` and `unpaid`; its
 * PaymentIntent went back to `requires_payment_method`, or was canceled). A session still open, or
 * complete with its payment still processing, may yet be paid.
 */
async function sessionFailed(env: Env, session: Stripe.Checkout.Session): Promise<boolean> {
  if (session.status === 'expired') return true;
  if (session.status !== 'complete' || session.payment_status !== 'unpaid') return false;
  const paymentIntentId = idOf(session.payment_intent as string | { id: string } | null);
  if (!paymentIntentId) return false;
  const intent = await callStripe('payment intent', () => stripeFor(env).paymentIntents.retrieve(paymentIntentId));
  return intent.status === 'requires_payment_method' || intent.status === 'canceled';
}

/** A top-up's Checkout Session (payment mode), as Stripe returned it; null when burnrate did not create it. */
export async function fulfilPaymentSession(env: Env, session: Stripe.Checkout.Session, event?: StripeEventRef): Promise<CheckoutOutcome | null> {
  const db = directoryDb(env);
  const row = await db.select().from(checkoutSessions).where(eq(checkoutSessions.sessionId, session.id)).get();
  if (!row) return null; // not a session burnrate created
  const ledger = ledgerFor(env, row.workspaceId);
  const settled = (tx: TransactionView): CheckoutOutcome => ({ status: tx.status === 'completed' ? 'completed' : tx.status === 'failed' ? 'failed' : 'pending', transaction: tx });

  const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  if (!paid && (await sessionFailed(env, session))) {
    // Only an auto-recharge reads the reason: its session is the page of a payment its bank wanted
    // authenticated (authentication_checkout.ts), and one left unpaid is no decline of the card.
    const failureReason = session.status === 'expired' ? AUTHENTICATION_EXPIRED : undefined;
    const closed = await ledger.closeDeposit({ workspaceId: row.workspaceId, key: row.transactionKey, outcome: 'failed', failureReason, event });
    // The directory's row without its deposit (the batch that would have opened it failed after the
    // directory's write: ledger/writes/group_batch.ts): nothing to close (found by the simulator, seed 3).
    if (!closed.ok && closed.code === 'not_found') return null;
    return settled(unwrap(closed).value);
  }
  const entry = await findByKey(await ledgerDbOf(env, row.workspaceId), row.workspaceId, row.transactionKey);
  if (!entry) return null;
  if (!paid) {
    if (event) await recordEvent(env, event, row.workspaceId);
    return settled(toTransactionView(entry));
  }

  const stripe = stripeFor(env);
  const invoiceId = idOf(session.invoice as string | { id: string } | null);
  const invoice = invoiceId ? await callStripe('invoice', () => stripe.invoices.retrieve(invoiceId)) : null;
  const paymentIntentId = idOf(session.payment_intent as string | { id: string } | null);
  // The first time the payment is seen, its card (saved for off-session use) becomes the default,
  // before the deposit is closed: if this fails, the deposit stays pending and the retry does it.
  // Later calls leave the default alone, so that revisiting the success page cannot undo a change.
  if (paymentIntentId && entry.status === 'pending') {
    const intent = await callStripe('payment intent', () => stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['payment_method'] }));
    const card = intent.payment_method as Stripe.PaymentMethod | string | null;
    const customerId = idOf(intent.customer as string | { id: string } | null);
    if (card && typeof card !== 'string' && customerId && card.customer) await makeDefaultCard(env, row.workspaceId, customerId, card);
    await db.update(checkoutSessions).set({ paymentIntentId }).where(eq(checkoutSessions.sessionId, session.id));
  }
  return settled(
    unwrap(
      await ledger.closeDeposit({ workspaceId: row.workspaceId, key: row.transactionKey, outcome: 'completed', invoiceUrl: invoice?.hosted_invoice_url ?? null, event }),
    ).value,
  );
}

/**
 * A card-saving Checkout Session (setup mode, POST /v1/billing/payment-methods): once its
 * SetupIntent succeeded, the card becomes the workspace's default. The session names its workspace
 * in metadata, and must belong to that workspace's Stripe customer; anything else is not ours.
 */
export async function fulfilSetupSession(env: Env, session: Stripe.Checkout.Session): Promise<SetupOutcome | null> {
  const workspaceId = session.metadata?.workspaceId;
  const customerId = idOf(session.customer as string | { id: string } | null);
  if (!workspaceId || !customerId || (await customerOf(env, workspaceId)) !== customerId) return null;
  const setupIntentId = idOf(session.setup_intent as string | { id: string } | null);
  if (session.status !== 'complete' || !setupIntentId) return { status: 'pending', workspaceId, paymentMethodId: null };
  const stripe = stripeFor(env);
  const intent = await callStripe('setup intent', () => stripe.setupIntents.retrieve(setupIntentId, { expand: ['payment_method'] }));
  const card = intent.payment_method as Stripe.PaymentMethod | string | null;
  if (intent.status !== 'succeeded' || !card || typeof card === 'string') return { status: 'pending', workspaceId, paymentMethodId: null };
  // A card removed since (the session's return page visited again) is not brought back.
  if (idOf(card.customer as string | { id: string } | null) !== customerId) return { status: 'saved', workspaceId, paymentMethodId: card.id };
  await makeDefaultCard(env, workspaceId, customerId, card);
  return { status: 'saved', workspaceId, paymentMethodId: card.id };
}
