import { and, eq, inArray } from 'drizzle-orm';
import type Stripe from 'stripe';
import { checkoutSessions, stripeCustomers, transactions } from '../../../schema/tables';
import type { Env } from '../../env';
import { directoryDb, ledgerDbOf } from '../../storage/databases';
import { centsToMicros } from '../../lib/money';
import { fundsReinstated, fundsWithdrawn, reinstatedKey, withdrawnKey } from '../dispute_state';
import { offSessionDeposit } from '../fulfil_payment_intent';
import { callStripe, stripeFor } from '../stripe_client';
import type { Mismatch } from './report';
import { STRIPE_ENTRY_TYPES } from './repairs_since';

type Entry = typeof transactions.$inferSelect;

/** What an entry asked to move before the zero floor: refunds and disputes record the rest as forgiven. */
const requestedMicros = (e: Entry) => e.amountMicros - e.forgivenMicros;

/**
 * Per workspace with a Stripe customer: what Stripe says was paid, refunded and disputed, object by
 * object, against the ledger's entries for those objects, both ways. Entries still pending younger
 * than `pendingCutoffMs` are in flight, not mismatches.
 */
export async function compareWithStripe(env: Env, pendingCutoffMs: number): Promise<Mismatch[]> {
  const customers = await directoryDb(env).select({ workspaceId: stripeCustomers.workspaceId, customerId: stripeCustomers.customerId }).from(stripeCustomers).all();
  const mismatches: Mismatch[] = [];
  for (const { workspaceId, customerId } of customers) {
    try {
      mismatches.push(...(await compareWorkspace(env, workspaceId, customerId, pendingCutoffMs)));
    } catch (error) {
      mismatches.push({ workspaceId, stripeObjectId: customerId, detail: `could not compare with Stripe: ${String(error)}` });
    }
  }
  return mismatches;
}

async function compareWorkspace(env: Env, workspaceId: string, customerId: string, pendingCutoffMs: number): Promise<Mismatch[]> {
  const db = await ledgerDbOf(env, workspaceId);
  const stripe = stripeFor(env);
  const sessions = await directoryDb(env).select().from(checkoutSessions).where(eq(checkoutSessions.workspaceId, workspaceId)).all();
  const keyByIntent = new Map(sessions.filter((s) => s.paymentIntentId).map((s) => [s.paymentIntentId!, s.transactionKey]));
  const sessionByKey = new Map(sessions.map((s) => [s.transactionKey, s.sessionId]));
  const entries = await db
    .select()
    .from(transactions)
    .where(and(eq(transactions.workspaceId, workspaceId), inArray(transactions.type, [...STRIPE_ENTRY_TYPES])))
    .all();
  const byKey = new Map(entries.map((e) => [e.idempotencyKey, e]));
  const explained = new Set<string>();
  const out: Mismatch[] = [];
  const mismatch = (stripeObjectId: string, detail: string) => out.push({ workspaceId, stripeObjectId, detail });

  const intents: Stripe.PaymentIntent[] = [];
  await callStripe('payment intents', () =>
    stripe.paymentIntents.list({ customer: customerId, limit: 100, expand: ['data.latest_charge.refunds'] }).autoPagingEach((pi) => void intents.push(pi)),
  );
  for (const intent of intents) {
    const offSession = offSessionDeposit(intent);
    const key = offSession?.workspaceId === workspaceId ? offSession.key : keyByIntent.get(intent.id);
    if (!key || intent.status !== 'succeeded') continue; // not a deposit of burnrate's, or not paid
    explained.add(key);
    const entry = byKey.get(key);
    const paidMicros = centsToMicros(intent.amount_received);
    if (!entry) mismatch(intent.id, `Stripe received ${paidMicros} micros; the ledger has no deposit ${key}`);
    else if (entry.status === 'pending' && entry.createdAtMs >= pendingCutoffMs) continue;
    else if (entry.status !== 'completed') mismatch(intent.id, `Stripe received ${paidMicros} micros; deposit ${entry.id} is ${entry.status}`);
    else if (entry.amountMicros !== paidMicros) mismatch(intent.id, `Stripe received ${paidMicros} micros; deposit ${entry.id} credited ${entry.amountMicros}`);

    const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
    if (!charge) continue;
    const refunds = charge.refunds?.has_more
      ? (await callStripe('refunds', () => stripe.refunds.list({ charge: charge.id, limit: 100 }))).data
      : (charge.refunds?.data ?? []);
    for (const refund of refunds.filter((r) => r.status === 'succeeded' || r.status === 'pending')) {
      const refundKey = `refund:${refund.id}`;
      explained.add(refundKey);
      const taken = byKey.get(refundKey);
      if (!taken) mismatch(refund.id, `Stripe refunded ${centsToMicros(refund.amount)} micros; the ledger has no refund entry`);
      else if (requestedMicros(taken) !== -centsToMicros(refund.amount)) mismatch(refund.id, `Stripe refunded ${centsToMicros(refund.amount)} micros; refund ${taken.id} took ${-requestedMicros(taken)}`);
    }
    if (!charge.disputed) continue;
    const disputes = (await callStripe('disputes', () => stripe.disputes.list({ payment_intent: intent.id, limit: 100 }))).data;
    for (const dispute of disputes) {
      if (!fundsWithdrawn(dispute)) continue;
      explained.add(withdrawnKey(dispute.id));
      const taken = byKey.get(withdrawnKey(dispute.id));
      if (!taken) {
        mismatch(dispute.id, `Stripe withdrew ${centsToMicros(dispute.amount)} micros for a dispute; the ledger has no dispute entry`);
        continue;
      }
      if (requestedMicros(taken) !== -centsToMicros(dispute.amount)) mismatch(dispute.id, `Stripe withdrew ${centsToMicros(dispute.amount)} micros; dispute entry ${taken.id} took ${-requestedMicros(taken)}`);
      if (!fundsReinstated(dispute)) continue;
      explained.add(reinstatedKey(dispute.id));
      const given = byKey.get(reinstatedKey(dispute.id));
      if (!given) mismatch(dispute.id, 'Stripe reinstated the disputed funds; the ledger has no reinstatement entry');
      else if (given.amountMicros !== -taken.amountMicros) mismatch(dispute.id, `dispute entry ${given.id} gave back ${given.amountMicros} micros; ${-taken.amountMicros} were taken`);
    }
  }

  // The other way: money the ledger moved for Stripe objects Stripe does not show.
  for (const entry of entries) {
    if (entry.status !== 'completed' || explained.has(entry.idempotencyKey)) continue;
    const objectId = sessionByKey.get(entry.idempotencyKey) ?? entry.idempotencyKey.split(':')[1] ?? entry.idempotencyKey;
    mismatch(objectId, `${entry.type} ${entry.id} moved ${entry.amountMicros} micros; Stripe shows no such ${entry.type === 'refund' ? 'refund' : entry.type === 'dispute' ? 'dispute movement' : 'succeeded payment'}`);
  }
  return out;
}
