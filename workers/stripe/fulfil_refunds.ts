import { and, eq, inArray } from 'drizzle-orm';
import { simBroken } from '../lib/sim_hooks';
import type Stripe from 'stripe';
import { transactions } from '../../schema/tables';
import type { Env } from '../env';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { centsToMicros, dollarsFromCents } from '../lib/money';
import { ledgerDbOf } from '../storage/databases';
import { depositEntry, fulfilPaymentIntent } from './fulfil_payment_intent';
import { recordEvent, type StripeEventRef } from './record_event';
import { oldestFirst, refundAllowances, refundKey, refundReversedKey, refundSucceeded, refundVoided } from './refund_state';
import { callStripe, idOf, stripeFor } from './stripe_client';

/**
 * What a refund event names: the PaymentIntent (or, failing that, the charge) whose refunds to read
 * back from Stripe. Nothing else of the event is used: not its refunds, amounts or statuses.
 */
export interface RefundHint {
  paymentIntentId: string | null;
  chargeId: string | null;
}

/** The hint of a charge.refunded event (its object is the charge). */
export const hintOfCharge = (charge: Stripe.Charge): RefundHint => ({ paymentIntentId: idOf(charge.payment_intent as string | { id: string } | null), chargeId: charge.id ?? null });

/** The hint of a refund.* or charge.refund.updated event (its object is the refund). */
export const hintOfRefund = (refund: Stripe.Refund): RefundHint => ({
  paymentIntentId: idOf(refund.payment_intent as string | { id: string } | null),
  chargeId: idOf(refund.charge as string | { id: string } | null),
});

/**
 * The one way refunds move the ledger (charge.refunded, charge.refund.updated, refund.created,
 * refund.updated, refund.failed, and reconciliation replaying them), for any kind of deposit: a
 * Checkout top-up, a saved-card top-up or an auto-recharge, found through the PaymentIntent.
 *
 * The event only names the PaymentIntent: its refunds are listed from Stripe, and each moves the
 * ledger as Stripe reports it now. A refund is taken (a `refund` entry keyed `refund:<id>`) once
 * Stripe says it succeeded, never while pending; together they never take more than the deposit
 * credited (refund_state.ts); a taken refund that Stripe later reports failed (or canceled) gives
 * back exactly what it took, as its own positive `refund` entry (`refund:<id>:reversed`). Each key
 * is written once, however often and in whatever order events come. A refund never takes the
 * balance below zero; what it cannot take is recorded as forgiven, and not given back.
 *
 * The deposit is completed first if Stripe's word that it was paid has not arrived yet (a refund
 * implies it). Answers false when the PaymentIntent is not burnrate's.
 */
export async function fulfilRefunds(env: Env, hint: RefundHint, event?: StripeEventRef): Promise<boolean> {
  const stripe = stripeFor(env);
  let paymentIntentId = hint.paymentIntentId;
  if (!paymentIntentId && hint.chargeId) {
    const chargeId = hint.chargeId;
    paymentIntentId = idOf((await callStripe('charge', () => stripe.charges.retrieve(chargeId))).payment_intent as string | { id: string } | null);
  }
  if (!paymentIntentId) return false;
  const deposit = await fulfilPaymentIntent(env, paymentIntentId);
  if (!deposit) return false;
  const entry = await depositEntry(env, deposit);
  if (!entry) return false;
  const { workspaceId } = deposit;
  // Stripe only refunds what was paid; a deposit still pending here means its completion failed
  // just now: answer 5xx so that Stripe delivers the refund again. A deposit the ledger holds as
  // failed never credited anything, so there is nothing to take back: acknowledged, and logged
  // as the mismatch it is.
  if (entry.status === 'pending') throw new Error(`refund of pending deposit ${entry.id}: not applied yet`);
  if (entry.status !== 'completed') {
    console.error(JSON.stringify({ level: 'error', msg: 'refund of a deposit recorded as failed; nothing taken', workspaceId, transactionId: entry.id, paymentIntent: paymentIntentId }));
    if (event) await recordEvent(env, event, workspaceId);
    return true;
  }

  // As Stripe lists them (newest first): refundAllowances orders them itself.
  const listed = await refundsOf(stripe, paymentIntentId);
  const refunds = oldestFirst(listed);
  const db = await ledgerDbOf(env, workspaceId);
  const keys = refunds.flatMap((r) => [refundKey(r.id), refundReversedKey(r.id)]);
  const existing = new Map<string, typeof transactions.$inferSelect>();
  // In chunks: D1 binds at most 100 parameters.
  for (let i = 0; i < keys.length; i += 90) {
    const rows = await db
      .select()
      .from(transactions)
      .where(and(eq(transactions.workspaceId, workspaceId), inArray(transactions.idempotencyKey, keys.slice(i, i + 90))))
      .all();
    for (const row of rows) existing.set(row.idempotencyKey, row);
  }

  const what = entry.type === 'auto_recharge' ? 'an auto-recharge' : 'a top-up';
  type Write = { id: string; amountMicros: number; description: string };
  const writes: Write[] = [];
  // Credits of refunds that failed go back first: the cap below counts those refunds no more.
  for (const refund of refunds) {
    const taken = existing.get(refundKey(refund.id));
    if (!refundVoided(refund) || !taken || existing.has(refundReversedKey(refund.id))) continue;
    writes.push({
      id: refundReversedKey(refund.id),
      // Exactly what the refund took (less than its amount when the balance could not cover it:
      // the rest was forgiven, and is not given back).
      amountMicros: Math.abs(taken.amountMicros),
      description: `Refund of ${what} (${dollarsFromCents(refund.amount)}) failed: credits given back`,
    });
  }
  const allowances = refundAllowances(listed, entry.amountMicros);
  for (const refund of refunds) {
    if (!refundSucceeded(refund) || existing.has(refundKey(refund.id))) continue;
    const allowedMicros = allowances.get(refund.id) ?? 0;
    if (allowedMicros < centsToMicros(refund.amount)) {
      console.error(JSON.stringify({ level: 'error', msg: 'refunds exceed their deposit; capped', workspaceId, transactionId: entry.id, refund: refund.id, refundMicros: centsToMicros(refund.amount), allowedMicros }));
    }
    if (allowedMicros === 0) continue;
    // (Keyed by the delivery only under the simulator's test-only switch: proves its Stripe-once check fails.)
    const id = simBroken('stripe_refund_per_delivery') ? `${refundKey(refund.id)}:${event?.id ?? 'replay'}` : refundKey(refund.id);
    writes.push({ id, amountMicros: -allowedMicros, description: `Refund of ${what} (${dollarsFromCents(refund.amount)})` });
  }

  const ledger = ledgerFor(env, workspaceId);
  // The event id is recorded (in the directory) with the last entry it causes, once that committed.
  for (const [i, write] of writes.entries()) {
    // A refund takes back the refunded deposit's own credit block first (then other paid blocks);
    // a failed refund's credits come back as a paid block of their own.
    const result = await ledger.postEntry({ workspaceId, kind: 'refund', ...write, depositTransactionId: entry.id, stripeEvent: i === writes.length - 1 ? event : undefined });
    // Another delivery wrote this key just now from an older read of Stripe's list (a cap computed
    // before a refund failed): its entry stands, as the first write of a key always does.
    if (!result.ok && result.code === 'idempotency_conflict') continue;
    unwrap(result);
  }
  // And once all of them exist, in any case: this event may have found nothing new to write.
  if (event) await recordEvent(env, event, workspaceId);
  return true;
}

/** Every refund of the PaymentIntent, as Stripe lists it now (any of its charges). */
async function refundsOf(stripe: Stripe, paymentIntentId: string): Promise<Stripe.Refund[]> {
  const refunds: Stripe.Refund[] = [];
  await callStripe('refunds', () => stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 }).autoPagingEach((refund) => void refunds.push(refund)));
  return refunds;
}
