import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type Stripe from 'stripe';
import { checkoutSessions, stripeCustomers, stripeEvents, transactions } from '../../schema/tables';
import type { Env } from '../env';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { centsToMicros, dollarsFromCents } from '../lib/money';
import { toTransactionView, type TransactionView } from '../ledger/transaction_view';
import { callStripe, stripeFor } from './stripe_client';

export type CheckoutOutcome = { status: 'completed' | 'failed' | 'pending'; transaction: TransactionView };

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

/**
 * Brings a Checkout Session's deposit in line with what Stripe says about it: paid → completed
 * (with its invoice link, and the card saved for auto-recharge), expired or failed → failed,
 * otherwise still pending. The success endpoint and every webhook go through here, and the ledger
 * completes a deposit once, so they can race in any order.
 */
export async function applyCheckoutSession(
  env: Env,
  session: Stripe.Checkout.Session,
  event?: { id: string; type: string },
  outcomeHint?: 'failed',
): Promise<CheckoutOutcome | null> {
  const db = drizzle(env.DB);
  const row = await db.select().from(checkoutSessions).where(eq(checkoutSessions.sessionId, session.id)).get();
  if (!row) return null; // not a session burnrate created
  const ledger = ledgerFor(env, row.workspaceId);

  if (outcomeHint === 'failed' || session.status === 'expired') {
    const tx = unwrap(await ledger.closeDeposit({ workspaceId: row.workspaceId, key: row.transactionKey, outcome: 'failed', event })).value;
    return { status: tx.status === 'completed' ? 'completed' : 'failed', transaction: tx };
  }
  if (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required') {
    if (event) await db.insert(stripeEvents).values({ eventId: event.id, type: event.type, workspaceId: row.workspaceId, processedAtMs: Date.now() }).onConflictDoNothing();
    const entry = await db
      .select()
      .from(transactions)
      .where(and(eq(transactions.workspaceId, row.workspaceId), eq(transactions.idempotencyKey, row.transactionKey)))
      .get();
    if (!entry) return null;
    return { status: entry.status === 'completed' ? 'completed' : entry.status === 'failed' ? 'failed' : 'pending', transaction: toTransactionView(entry) };
  }

  const stripe = stripeFor(env);
  const invoiceId = idOf(session.invoice as string | { id: string } | null);
  const invoice = invoiceId ? await callStripe('invoice', () => stripe.invoices.retrieve(invoiceId)) : null;
  const paymentIntentId = idOf(session.payment_intent as string | { id: string } | null);
  if (paymentIntentId) {
    await saveCard(env, row.workspaceId, paymentIntentId);
    await db.update(checkoutSessions).set({ paymentIntentId }).where(eq(checkoutSessions.sessionId, session.id));
    unwrap(await ledger.reloadSettings(row.workspaceId));
  }
  const tx = unwrap(
    await ledger.closeDeposit({ workspaceId: row.workspaceId, key: row.transactionKey, outcome: 'completed', invoiceUrl: invoice?.hosted_invoice_url ?? null, event }),
  ).value;
  return { status: tx.status === 'completed' ? 'completed' : 'failed', transaction: tx };
}

/**
 * A checkout.session.* webhook event. The event body is only a notification: before the ledger
 * moves, the session is retrieved from Stripe (as GET /v1/billing/success does) and its state there
 * decides — so a forged or replayed body signed with a leaked secret, or an event that is stale by
 * the time it arrives, cannot credit a deposit that Stripe does not say is paid. Sessions burnrate
 * did not create are ignored without asking Stripe.
 */
export async function applyCheckoutSessionEvent(
  env: Env,
  notified: Stripe.Checkout.Session,
  event: { id: string; type: string },
  outcomeHint?: 'failed',
): Promise<CheckoutOutcome | null> {
  const known = await drizzle(env.DB).select({ sessionId: checkoutSessions.sessionId }).from(checkoutSessions).where(eq(checkoutSessions.sessionId, notified.id)).get();
  if (!known) return null;
  const stripe = stripeFor(env);
  const session = await callStripe('checkout session', () => stripe.checkout.sessions.retrieve(notified.id));
  // A failure notice counts only while Stripe does not say the session was paid.
  const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  return applyCheckoutSession(env, session, event, paid ? undefined : outcomeHint);
}

/** Keeps the card of a paid checkout as the workspace's payment method for auto-recharge. */
async function saveCard(env: Env, workspaceId: string, paymentIntentId: string) {
  const stripe = stripeFor(env);
  const intent = await callStripe('payment intent', () => stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['payment_method'] }));
  const pm = intent.payment_method as Stripe.PaymentMethod | string | null;
  if (!pm || typeof pm === 'string') return;
  await drizzle(env.DB)
    .update(stripeCustomers)
    .set({ paymentMethodId: pm.id, cardBrand: pm.card?.brand ?? null, cardLast4: pm.card?.last4 ?? null, updatedAtMs: Date.now() })
    .where(eq(stripeCustomers.workspaceId, workspaceId));
}

/**
 * A refund on a top-up's charge: the deposit is completed first if that event has not arrived yet
 * (a refund implies it was paid), then each refund becomes one `refund` entry, never taking the
 * balance below zero.
 */
export async function applyChargeRefunded(env: Env, charge: Stripe.Charge, event: { id: string; type: string }): Promise<boolean> {
  const db = drizzle(env.DB);
  const stripe = stripeFor(env);
  const paymentIntentId = idOf(charge.payment_intent as string | { id: string } | null);
  if (!paymentIntentId) return false;
  let row = await db.select().from(checkoutSessions).where(eq(checkoutSessions.paymentIntentId, paymentIntentId)).get();
  if (!row) {
    const sessions = await callStripe('checkout sessions', () => stripe.checkout.sessions.list({ payment_intent: paymentIntentId, limit: 1 }));
    const session = sessions.data[0];
    if (!session || !(await applyCheckoutSession(env, session))) return false;
    row = await db.select().from(checkoutSessions).where(eq(checkoutSessions.sessionId, session.id)).get();
    if (!row) return false;
  }
  const refunds = charge.refunds?.data?.length ? charge.refunds.data : (await callStripe('refunds', () => stripe.refunds.list({ charge: charge.id, limit: 100 }))).data;
  const ledger = ledgerFor(env, row.workspaceId);
  const effective = refunds.filter((r) => r.status === 'succeeded' || r.status === 'pending');
  // The event id is recorded in the batch of the last refund entry it causes.
  for (const [i, refund] of effective.entries()) {
    unwrap(
      await ledger.postEntry({
        workspaceId: row.workspaceId,
        id: `refund:${refund.id}`,
        kind: 'refund',
        amountMicros: -centsToMicros(refund.amount),
        description: `Refund of a top-up (${dollarsFromCents(refund.amount)})`,
        stripeEvent: i === effective.length - 1 ? event : undefined,
      }),
    );
  }
  if (effective.length === 0) {
    await db.insert(stripeEvents).values({ eventId: event.id, type: event.type, workspaceId: row.workspaceId, processedAtMs: Date.now() }).onConflictDoNothing();
  }
  return true;
}

/** An auto-recharge PaymentIntent decided after the fact (the ledger object left it pending). */
export async function applyRechargeIntent(env: Env, intent: Stripe.PaymentIntent, event: { id: string; type: string }, outcome: 'completed' | 'failed') {
  const workspaceId = intent.metadata?.workspaceId;
  const key = intent.metadata?.transactionKey;
  if (!workspaceId || !key?.startsWith('auto:')) return false; // a checkout's intent: its session events settle it
  const failureReason = intent.last_payment_error?.decline_code ?? intent.last_payment_error?.code ?? undefined;
  const result = await ledgerFor(env, workspaceId).closeDeposit({ workspaceId, key, outcome, failureReason, event });
  if (!result.ok && result.code !== 'not_found') unwrap(result);
  return true;
}
