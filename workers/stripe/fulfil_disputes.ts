import type Stripe from 'stripe';
import { stripeDisputes } from '../../schema/tables';
import type { Env } from '../env';
import { ledgerDbOf } from '../storage/databases';
import { findByKey } from '../ledger/entry_replay';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { centsToMicros, dollarsFromCents } from '../lib/money';
import { fundsReinstated, fundsWithdrawn, reinstatedKey, withdrawnKey } from './dispute_state';
import { depositEntry, fulfilPaymentIntent } from './fulfil_payment_intent';
import { recordEvent, type StripeEventRef } from './record_event';
import { callStripe, idOf, stripeFor } from './stripe_client';

/**
 * The one way a dispute moves the ledger (charge.dispute.created, .funds_withdrawn,
 * .funds_reinstated, .closed, and reconciliation). The dispute is retrieved from Stripe first, so
 * its current state decides whatever event brought it and in whatever order events come: funds
 * withdrawn → one `dispute` entry taking the disputed amount back (`dispute:<id>:withdrawn`; never
 * below zero, the rest forgiven, and `payment.disputed` in the outbox of the same batch); funds
 * reinstated (or the dispute won) → one `dispute` entry giving back exactly what the first took
 * (`dispute:<id>:reinstated`). The dispute's status is kept in stripe_disputes first: while it is
 * open, auto-recharge does not charge the workspace. Answers the workspace, or null when the
 * disputed charge is not burnrate's.
 */
export async function fulfilDispute(env: Env, disputeOrId: Stripe.Dispute | string, event?: StripeEventRef): Promise<string | null> {
  const stripe = stripeFor(env);
  const disputeId = typeof disputeOrId === 'string' ? disputeOrId : disputeOrId.id;
  const dispute = await callStripe('dispute', () => stripe.disputes.retrieve(disputeId));
  const chargeId = idOf(dispute.charge as string | { id: string });
  let paymentIntentId = idOf(dispute.payment_intent as string | { id: string } | null);
  if (!paymentIntentId && chargeId) paymentIntentId = idOf((await callStripe('charge', () => stripe.charges.retrieve(chargeId))).payment_intent as string | null);
  if (!paymentIntentId || !chargeId) return null;
  // The deposit is completed first if Stripe's word that it was paid has not arrived yet.
  const deposit = await fulfilPaymentIntent(env, paymentIntentId);
  if (!deposit) return null;
  const entry = await depositEntry(env, deposit);
  if (!entry) return null;
  const { workspaceId } = deposit;
  // As for refunds: a deposit still pending means its completion failed just now (5xx: Stripe
  // retries); one recorded as failed credited nothing, so there is nothing to take back.
  if (entry.status === 'pending') throw new Error(`dispute of pending deposit ${entry.id}: not applied yet`);

  const db = await ledgerDbOf(env, workspaceId);
  const nowMs = Date.now();
  await db
    .insert(stripeDisputes)
    .values({ disputeId: dispute.id, workspaceId, chargeId, amountCents: dispute.amount, status: dispute.status, updatedAtMs: nowMs })
    .onConflictDoUpdate({ target: stripeDisputes.disputeId, set: { status: dispute.status, amountCents: dispute.amount, updatedAtMs: nowMs } });

  if (entry.status !== 'completed') {
    console.error(JSON.stringify({ level: 'error', msg: 'dispute of a deposit recorded as failed; nothing taken', workspaceId, transactionId: entry.id, dispute: dispute.id }));
    if (event) await recordEvent(env, event, workspaceId);
    return workspaceId;
  }

  const ledger = ledgerFor(env, workspaceId);
  const what = entry.type === 'auto_recharge' ? 'an auto-recharge' : 'a top-up';
  const withdrawn = fundsWithdrawn(dispute);
  const reinstated = withdrawn && fundsReinstated(dispute);
  if (withdrawn) {
    unwrap(
      await ledger.postEntry({
        workspaceId,
        id: withdrawnKey(dispute.id),
        kind: 'dispute',
        amountMicros: -centsToMicros(dispute.amount),
        // The disputed deposit's own credit block is taken back first (then other paid blocks).
        depositTransactionId: entry.id,
        description: `Dispute of ${what} (${dollarsFromCents(dispute.amount)}): funds withdrawn`,
        stripeEvent: reinstated ? undefined : event,
        notify: { type: 'payment.disputed', data: { disputeId: dispute.id, status: dispute.status, disputedMicros: centsToMicros(dispute.amount) } },
      }),
    );
  }
  if (reinstated) {
    // Exactly what the withdrawal took (it took less than the disputed amount when the balance
    // could not cover it; the rest was forgiven, and is not given back).
    const taken = await findByKey(db, workspaceId, withdrawnKey(dispute.id));
    if (!taken) throw new Error(`dispute ${dispute.id}: withdrawal entry missing`);
    unwrap(
      await ledger.postEntry({
        workspaceId,
        id: reinstatedKey(dispute.id),
        kind: 'dispute',
        amountMicros: Math.abs(taken.amountMicros),
        description: `Dispute of ${what} (${dollarsFromCents(dispute.amount)}) won: funds reinstated`,
        stripeEvent: event,
      }),
    );
  }
  // Recorded with its entry above when it caused one; else (nothing to move, or entries another
  // delivery had made already) here, so that a redelivery is known as such.
  if (event) await recordEvent(env, event, workspaceId);
  return workspaceId;
}
