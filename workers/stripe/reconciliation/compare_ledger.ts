import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type Stripe from 'stripe';
import { checkoutSessions, stripeCustomers, transactions } from '../../../schema/tables';
import type { Env } from '../../env';
import { directoryDb, ledgerDbOf } from '../../storage/databases';
import { centsToMicros } from '../../lib/money';
import { fundsReinstated, fundsWithdrawn, reinstatedKey, withdrawnKey } from '../dispute_state';
import { offSessionDeposit } from '../fulfil_payment_intent';
import { refundKey, refundReversedKey, refundSucceeded, refundVoided } from '../refund_state';
import { callStripe, stripeFor } from '../stripe_client';
import type { Mismatch } from './report';
import { STRIPE_ENTRY_TYPES } from './repairs_since';

type Entry = typeof transactions.$inferSelect;

/** What an entry asked to move before the zero floor: refunds and disputes record the rest as forgiven. */
const requestedMicros = (e: Entry) => e.amountMicros - e.forgivenMicros;

/** How many workspaces one run compares in its rolling audit, besides those its events touched. */
export const COMPARED_PER_RUN = 200;
/** Workspaces compared at the same time (each is one or more Stripe list calls). */
const COMPARE_CONCURRENCY = 4;

export interface Comparison {
  mismatches: Mismatch[];
  /** Where the next run's rolling audit goes on from (the last workspace compared), or null: from the start. */
  nextCursor: string | null;
}

/**
 * Per workspace with a Stripe customer: what Stripe says was paid, refunded and disputed, object by
 * object, against the ledger's entries for those objects, both ways. Entries still pending younger
 * than `pendingCutoffMs` are in flight, not mismatches.
 *
 * Each run compares the workspaces its replayed events touched (`touchedCustomers`: workspace id ->
 * customer id), and the next `perRun` workspaces after `cursor` in a rolling audit that starts
 * over when it reaches the end. Comparing every
 * customer every hour would cost at least one Stripe call per workspace that ever paid (Stripe
 * allows about 100 a second) in one cron invocation; this way a run's cost is bounded, a platform
 * with up to `perRun` paying workspaces still has every one compared every hour, and a larger one
 * has each compared once per ceil(customers / perRun) hours.
 */
export async function compareWithStripe(
  env: Env,
  pendingCutoffMs: number,
  touchedCustomers: ReadonlyMap<string, string> = new Map(),
  cursor: string | null = null,
  perRun = COMPARED_PER_RUN,
): Promise<Comparison> {
  const slice = await directoryDb(env)
    .select({ workspaceId: stripeCustomers.workspaceId, customerId: stripeCustomers.customerId })
    .from(stripeCustomers)
    .where(gt(stripeCustomers.workspaceId, cursor ?? ''))
    .orderBy(asc(stripeCustomers.workspaceId))
    .limit(perRun)
    .all();
  // The touched ones come with their customer (the replay read it): no second directory read.
  const inSlice = new Set(slice.map((c) => c.workspaceId));
  const touched = [...touchedCustomers].filter(([workspaceId]) => !inSlice.has(workspaceId)).map(([workspaceId, customerId]) => ({ workspaceId, customerId }));
  const customers = [...slice, ...touched].sort((a, b) => (a.workspaceId < b.workspaceId ? -1 : a.workspaceId > b.workspaceId ? 1 : 0));

  const results: Mismatch[][] = new Array(customers.length);
  let next = 0;
  const worker = async () => {
    while (next < customers.length) {
      const i = next++;
      const { workspaceId, customerId } = customers[i]!;
      try {
        results[i] = await compareWorkspace(env, workspaceId, customerId, pendingCutoffMs);
      } catch (error) {
        results[i] = [{ workspaceId, stripeObjectId: customerId, detail: `could not compare with Stripe: ${String(error)}` }];
      }
    }
  };
  await Promise.all(Array.from({ length: COMPARE_CONCURRENCY }, worker));
  return { mismatches: results.flat(), nextCursor: slice.length < perRun ? null : slice.at(-1)!.workspaceId };
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
    for (const refund of refunds) compareRefund(refund, byKey, explained, mismatch);
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

/**
 * One refund Stripe lists against the ledger's entries for it (fulfil_refunds.ts): a succeeded
 * refund has taken its whole amount (before the zero floor) and was not given back; a failed or
 * canceled one that was taken has been given back exactly; a pending one has taken nothing yet.
 */
function compareRefund(refund: Stripe.Refund, byKey: ReadonlyMap<string, Entry>, explained: Set<string>, mismatch: (stripeObjectId: string, detail: string) => void) {
  const refundMicros = centsToMicros(refund.amount);
  const taken = byKey.get(refundKey(refund.id));
  const givenBack = byKey.get(refundReversedKey(refund.id));
  if (taken) explained.add(refundKey(refund.id));
  if (givenBack) explained.add(refundReversedKey(refund.id));
  if (refundSucceeded(refund)) {
    if (!taken) mismatch(refund.id, `Stripe refunded ${refundMicros} micros; the ledger has no refund entry`);
    else if (requestedMicros(taken) !== -refundMicros) mismatch(refund.id, `Stripe refunded ${refundMicros} micros; refund ${taken.id} took ${-requestedMicros(taken)}`);
    if (givenBack) mismatch(refund.id, `Stripe refunded ${refundMicros} micros; refund ${givenBack.id} gave ${givenBack.amountMicros} back as if it had failed`);
  } else if (refundVoided(refund)) {
    if (taken && !givenBack) mismatch(refund.id, `Stripe's refund is ${refund.status}; refund ${taken.id} took ${-taken.amountMicros} micros and nothing gave them back`);
    else if (taken && givenBack && givenBack.amountMicros !== -taken.amountMicros) mismatch(refund.id, `refund ${givenBack.id} gave back ${givenBack.amountMicros} micros; ${-taken.amountMicros} were taken`);
    else if (!taken && givenBack) mismatch(refund.id, `refund ${givenBack.id} gave back ${givenBack.amountMicros} micros; nothing was taken`);
  } else if (taken) {
    mismatch(refund.id, `Stripe's refund is still ${refund.status}; refund ${taken.id} took ${-requestedMicros(taken)} micros already`);
  }
}
