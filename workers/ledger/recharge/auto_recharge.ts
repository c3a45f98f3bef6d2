import { and, eq, isNull } from 'drizzle-orm';
import { autoRechargeActions, checkoutSessions, transactions, ledgerWorkspaces } from '../../../schema/tables';
import { newId } from '../../lib/ids';
import { dollarsFromCents, MICROS_PER_CENT } from '../../lib/money';
import { AUTHENTICATION_REQUIRED } from '../payments_port';
import { closeDepositNow } from '../writes/deposits';
import { spendableMicros, type LedgerContext } from '../state/ledger_context';
import type { LedgerState } from '../state/ledger_state';
import { autoRechargeSpentThisMonthCents, cappedRechargeCents, utcMonthKey, wantedRechargeCents } from './recharge_month';
import { rechargeRetryAtMs } from './recharge_retry';
import { insertOutbox, outboxEvent } from '../../notifications/outbox';
import { sendNotifications } from '../state/send_notifications';

/**
 * One off-session payment per crossing below the threshold: a pending `auto_recharge` entry and
 * the crossing mark (the time of this try) in one batch, then the PaymentIntent (its idempotency
 * key is the entry's), then the outcome. A payment Stripe has not decided yet stays pending for the
 * webhook. After a decline, one more try an hour later while still below the threshold, three
 * declined tries in a row in all (closeDepositNow then turns auto-top-up off). Nothing is charged
 * while a dispute of the workspace is open.
 */
export async function maybeAutoRecharge(ledger: LedgerContext, state: LedgerState, nowMs: number): Promise<void> {
  const f = state.flags;
  const ws = state.workspaceId;
  if (await clearCrossingIfAbove(ledger, state, nowMs)) return;
  if (!f.autoTopupEnabled || !f.paymentMethodId || !f.stripeCustomerId) return;
  const lastTryAtMs = f.autoRechargeCrossingAtMs;
  if (lastTryAtMs !== null) {
    const retryAtMs = rechargeRetryAtMs(f);
    if (retryAtMs === null || nowMs < retryAtMs) return;
    // A try Stripe has not decided yet is never tried over: it may still be paid.
    const undecided = await ledger.db
      .select({ id: transactions.id })
      .from(transactions)
      .where(and(eq(transactions.workspaceId, ws), eq(transactions.type, 'auto_recharge'), eq(transactions.status, 'pending')))
      .get();
    if (undecided) return;
  }
  // Not while a dispute of the workspace is open; the crossing stays unmarked, so the first
  // decision after the dispute closes charges.
  if (await ledger.payments.hasOpenDispute(ledger.db, ws)) return;
  const amountCents = await rechargeAmountCents(ledger, state, nowMs);
  if (amountCents === 0) {
    // The month's cap leaves nothing to charge: this crossing is over for auto-recharge.
    await ledger.db
      .update(ledgerWorkspaces)
      .set({ autoRechargeCrossingAtMs: nowMs })
      .where(and(eq(ledgerWorkspaces.workspaceId, ws), lastTryAtMs === null ? isNull(ledgerWorkspaces.autoRechargeCrossingAtMs) : eq(ledgerWorkspaces.autoRechargeCrossingAtMs, lastTryAtMs)));
    f.autoRechargeCrossingAtMs = nowMs;
    return;
  }
  const key = `auto:${nowMs}`;
  const transactionId = newId('txn', nowMs);
  await ledger.db.batch([
    ledger.db.insert(transactions).values({
      id: transactionId,
      workspaceId: ws,
      idempotencyKey: key,
      requestHash: 'auto_recharge',
      type: 'auto_recharge',
      status: 'pending',
      description: `Auto-recharge (${dollarsFromCents(amountCents)}) below ${dollarsFromCents(f.autoTopupThresholdCents)}`,
      amountMicros: amountCents * MICROS_PER_CENT,
      createdAtMs: nowMs,
    }),
    ledger.db
      .update(ledgerWorkspaces)
      .set({ autoRechargeCrossingAtMs: nowMs })
      .where(and(eq(ledgerWorkspaces.workspaceId, ws), lastTryAtMs === null ? isNull(ledgerWorkspaces.autoRechargeCrossingAtMs) : eq(ledgerWorkspaces.autoRechargeCrossingAtMs, lastTryAtMs))),
  ]);
  f.autoRechargeCrossingAtMs = nowMs;
  const charged = await ledger.payments.chargeSavedCard({
    workspaceId: ws,
    transactionKey: key,
    amountCents,
    customerId: f.stripeCustomerId,
    paymentMethodId: f.paymentMethodId,
    description: 'burnrate auto-recharge',
  });
  const { invoiceUrl } = charged;
  let { outcome, failureReason } = charged;
  // 3-D Secure: no decline. The entry stays pending with the page where the customer completes it
  // (stripe/authentication_checkout.ts); reconciliation expires it after 23 h. Without a page the
  // customer cannot complete it: failed as authentication_required, still no decline.
  if (charged.authentication) {
    const waiting = await awaitAuthentication(ledger, { workspaceId: ws, transactionId, key, amountCents, customerId: f.stripeCustomerId, nowMs, ...charged.authentication });
    if (!waiting) {
      outcome = 'failed';
      failureReason = AUTHENTICATION_REQUIRED;
    }
  }
  if (outcome) await closeDepositNow(ledger, { workspaceId: ws, key, outcome, failureReason, invoiceUrl });
  // Paid and back above the threshold: the crossing is over now, so that the next one (perhaps by
  // the very next deduction) is seen as a new crossing.
  if (outcome === 'completed') await clearCrossingIfAbove(ledger, state, nowMs);
}

/**
 * The page where the customer completes a payment their bank wants authenticated: Stripe's own
 * (a PaymentIntent waiting in requires_action), else a Checkout Session for the amount, recorded as
 * the object that settles the entry (its directory row first, as for a Checkout top-up), then the
 * entry's actionUrl and the auto_recharge.action_required notice, once. False when no page could be made.
 */
async function awaitAuthentication(
  ledger: LedgerContext,
  input: { workspaceId: string; transactionId: string; key: string; amountCents: number; customerId: string; nowMs: number; paymentIntentId: string; url: string | null },
): Promise<boolean> {
  const { workspaceId, transactionId, key, nowMs } = input;
  let actionUrl = input.url;
  if (!actionUrl) {
    const page = await ledger.payments.openAuthenticationPage({ workspaceId, transactionId, transactionKey: key, amountCents: input.amountCents, customerId: input.customerId });
    if (!page) return false;
    await ledger.directory
      .insert(checkoutSessions)
      .values({ sessionId: page.sessionId, workspaceId, transactionKey: key, amountCents: input.amountCents, createdAtMs: nowMs })
      .onConflictDoNothing();
    actionUrl = page.url;
  }
  const notice = outboxEvent('auto_recharge.action_required', { transactionId, actionUrl });
  await ledger.db.batch([
    ledger.db.insert(autoRechargeActions).values({ transactionId, workspaceId, paymentIntentId: input.paymentIntentId, actionUrl, createdAtMs: nowMs }).onConflictDoNothing(),
    insertOutbox(ledger.db, workspaceId, [notice], nowMs),
  ]);
  await sendNotifications(ledger.env, [notice]);
  return true;
}

/**
 * What this recharge charges: the fixed amount, or in target mode what brings the balance up to
 * the target (at least $5); then cut to what the month's cap leaves (nothing when under $5). When
 * the cap cuts or stops a charge, auto_recharge.limit_reached is sent, once per UTC month.
 */
async function rechargeAmountCents(ledger: LedgerContext, state: LedgerState, nowMs: number): Promise<number> {
  const ws = state.workspaceId;
  const settings = await ledger.db
    .select({
      mode: ledgerWorkspaces.autoTopupMode,
      targetCents: ledgerWorkspaces.autoTopupTargetCents,
      limitCents: ledgerWorkspaces.autoTopupMonthlyLimitCents,
      notifiedMonth: ledgerWorkspaces.autoRechargeLimitNotifiedMonth,
    })
    .from(ledgerWorkspaces)
    .where(eq(ledgerWorkspaces.workspaceId, ws))
    .get();
  const wanted = wantedRechargeCents(settings?.mode ?? 'fixed', state.flags.autoTopupAmountCents, settings?.targetCents ?? null, spendableMicros(state, nowMs));
  const limitCents = settings?.limitCents ?? null;
  if (limitCents === null) return wanted;
  const spentCents = await autoRechargeSpentThisMonthCents(ledger.db, ws, nowMs);
  const cents = cappedRechargeCents(wanted, limitCents, spentCents);
  const month = utcMonthKey(nowMs);
  if (cents < wanted && settings?.notifiedMonth !== month) {
    const notice = outboxEvent('auto_recharge.limit_reached', { monthlyLimitCents: limitCents, spentThisMonthCents: spentCents, month, wantedCents: wanted, chargedCents: cents });
    await ledger.db.batch([
      ledger.db.update(ledgerWorkspaces).set({ autoRechargeLimitNotifiedMonth: month }).where(eq(ledgerWorkspaces.workspaceId, ws)),
      insertOutbox(ledger.db, ws, [notice], nowMs),
    ]);
    await sendNotifications(ledger.env, [notice]);
  }
  return cents;
}

/** Above the threshold: forgets the crossing mark (and any retry waiting on it). True when above. */
async function clearCrossingIfAbove(ledger: LedgerContext, state: LedgerState, nowMs: number): Promise<boolean> {
  const f = state.flags;
  if (spendableMicros(state, nowMs) < f.autoTopupThresholdCents * MICROS_PER_CENT) return false;
  if (f.autoRechargeCrossingAtMs !== null) {
    await ledger.db.update(ledgerWorkspaces).set({ autoRechargeCrossingAtMs: null }).where(eq(ledgerWorkspaces.workspaceId, state.workspaceId));
    f.autoRechargeCrossingAtMs = null;
  }
  return true;
}
