// Deposits: pending until Stripe says paid or failed.
import { and, eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { checkoutSessions, stripeEvents, transactions, ledgerWorkspaces } from '../../schema/tables';
import { canonicalJson, sha256Hex } from '../lib/crypto';
import { newId } from '../lib/ids';
import { MICROS_PER_CENT } from '../lib/money';
import { insertOutbox, outboxEvent } from '../notifications/outbox';
import { chargeSavedCard } from '../stripe/charge_saved_card';
import { balanceCapFailure } from './balance_cap';
import { MAX_AUTO_RECHARGE_ATTEMPTS } from './recharge_retry';
import { findByKey, replay } from './entry_replay';
import { balanceAfterGuard, moveBalance } from './guarded_balance';
import { notFound, type LedgerContext, type ThenEnforce } from './ledger_context';
import type { LedgerResult } from './ledger_result';
import type { CloseDepositInput, OpenDepositInput, SavedCardDepositInput } from './ledger_types';
import { sendNotifications } from './send_notifications';
import { toTransactionView, type TransactionView } from './transaction_view';

/** WorkspaceLedger.openDeposit, in its queue turn. */
export async function openDepositNow(ledger: LedgerContext, input: OpenDepositInput): Promise<LedgerResult<TransactionView>> {
  const state = await ledger.load(input.workspaceId);
  if (!state) return notFound;
  const requestHash = await sha256Hex(canonicalJson({ type: input.type, amountMicros: input.amountMicros, sessionId: input.sessionId ?? null }));
  const earlier = await findByKey(ledger.db, input.workspaceId, input.key);
  if (earlier) return replay(earlier, requestHash);
  const overCap = balanceCapFailure(state.balanceMicros, input.amountMicros, 'amountCents');
  if (overCap) return overCap;
  const nowMs = Date.now();
  const insert = ledger.db
    .insert(transactions)
    .values({
      id: input.transactionId ?? newId('txn', nowMs),
      workspaceId: input.workspaceId,
      idempotencyKey: input.key,
      requestHash,
      type: input.type,
      status: 'pending',
      description: input.description,
      amountMicros: input.amountMicros,
      createdAtMs: nowMs,
    })
    .returning();
  // The checkout session's mapping (session → workspace and deposit key) is in the directory, where
  // the webhook looks it up by session id: written first, so that no pending deposit exists that
  // its session cannot find. (A session row without its deposit, if the insert below fails, finds
  // no pending deposit to close, and a retry under the same key writes the deposit.)
  if (input.sessionId) {
    await ledger.directory
      .insert(checkoutSessions)
      .values({
        sessionId: input.sessionId,
        workspaceId: input.workspaceId,
        transactionKey: input.key,
        amountCents: input.amountMicros / MICROS_PER_CENT,
        createdAtMs: nowMs,
      })
      .onConflictDoNothing();
  }
  const inserted = await insert;
  return { ok: true, replayed: false, value: toTransactionView(inserted[0]!) };
}

/** WorkspaceLedger.depositWithSavedCard, in its queue turn; the outcome is closed through `thenEnforce`. */
export async function depositWithSavedCardNow(
  ledger: LedgerContext,
  input: SavedCardDepositInput,
  thenEnforce: ThenEnforce,
): Promise<LedgerResult<TransactionView>> {
  const state = await ledger.load(input.workspaceId);
  if (!state) return notFound;
  const { stripeCustomerId, paymentMethodId } = state.flags;
  if (!stripeCustomerId || !paymentMethodId) {
    return { ok: false, code: 'payment_method_required', message: 'No saved payment method: pay with a new card through Checkout.' };
  }
  const opened = await openDepositNow(ledger, {
    workspaceId: input.workspaceId,
    key: input.key,
    type: 'deposit',
    amountMicros: input.amountCents * MICROS_PER_CENT,
    description: input.description,
    transactionId: input.transactionId,
  });
  // A replay (or a conflicting reuse of the key) answers with what was recorded; it never pays twice.
  if (!opened.ok || opened.replayed) return opened;
  const { outcome, failureReason, invoiceUrl } = await chargeSavedCard(ledger.env, {
    workspaceId: input.workspaceId,
    transactionKey: input.key,
    amountCents: input.amountCents,
    customerId: stripeCustomerId,
    paymentMethodId,
    description: 'burnrate credit top-up',
  });
  if (!outcome) return opened;
  return thenEnforce(input.workspaceId, closeDepositNow(ledger, { workspaceId: input.workspaceId, key: input.key, outcome, failureReason, invoiceUrl }));
}

/** WorkspaceLedger.closeDeposit, in its queue turn; also closes an auto-recharge's pending entry. */
export async function closeDepositNow(ledger: LedgerContext, input: CloseDepositInput): Promise<LedgerResult<TransactionView>> {
  const state = await ledger.load(input.workspaceId);
  if (!state) return notFound;
  const entry = await findByKey(ledger.db, input.workspaceId, input.key);
  if (!entry) return { ok: false, code: 'not_found', message: 'No such pending deposit.' };
  const nowMs = Date.now();
  // The Stripe event that brought the outcome is marked processed in the directory once the shard
  // batch committed (two databases, no common batch): if that write is lost, the redelivered event
  // finds the deposit closed and records it then.
  const recordEvent = async () => {
    if (input.event) {
      await ledger.directory
        .insert(stripeEvents)
        .values({ eventId: input.event.id, type: input.event.type, workspaceId: input.workspaceId, processedAtMs: nowMs })
        .onConflictDoNothing();
    }
  };
  if (entry.status !== 'pending') {
    await recordEvent();
    return { ok: true, replayed: true, value: toTransactionView(entry) };
  }
  const settle = ledger.db
    .update(transactions)
    .set(
      input.outcome === 'completed'
        ? { status: 'completed', balanceAfterMicros: balanceAfterGuard(input.workspaceId), invoiceUrl: input.invoiceUrl ?? null, settledAtMs: nowMs }
        : { status: 'failed', settledAtMs: nowMs },
    )
    .where(and(eq(transactions.workspaceId, input.workspaceId), eq(transactions.idempotencyKey, input.key), eq(transactions.status, 'pending')))
    .returning();
  // An auto-recharge's outcome also keeps the count of consecutive declines, in the same batch.
  // Every decline tells the platform (auto_recharge.failed, with which try it was); the third in a
  // row turns auto-top-up off.
  const recharge: BatchItem<'sqlite'>[] = [];
  let afterCommit: (() => Promise<void>) | null = null;
  if (entry.type === 'auto_recharge') {
    const failures = input.outcome === 'completed' ? 0 : state.flags.autoTopupFailures + 1;
    const giveUp = failures >= MAX_AUTO_RECHARGE_ATTEMPTS;
    recharge.push(
      ledger.db
        .update(ledgerWorkspaces)
        .set({ autoTopupFailures: failures, ...(giveUp ? { autoTopupEnabled: false } : {}) })
        .where(eq(ledgerWorkspaces.workspaceId, input.workspaceId)),
    );
    const event =
      input.outcome === 'failed'
        ? outboxEvent('auto_recharge.failed', { transactionId: entry.id, attempt: failures, declineCode: input.failureReason ?? 'card_declined', disabled: giveUp })
        : null;
    if (event) {
      recharge.push(insertOutbox(ledger.db, input.workspaceId, [event], nowMs));
      afterCommit = () => sendNotifications(ledger.env, [event]);
    }
    state.flags.autoTopupFailures = failures;
    if (giveUp) state.flags.autoTopupEnabled = false;
  }
  try {
    if (input.outcome === 'completed') {
      const [moved, settled] = await ledger.db.batch([moveBalance(ledger.db, state, entry.amountMicros, nowMs), settle, ...recharge]);
      state.balanceMicros = moved[0]?.balanceMicros ?? state.balanceMicros + entry.amountMicros;
      state.updatedAtMs = nowMs;
      await recordEvent();
      return { ok: true, replayed: false, value: toTransactionView(settled[0] ?? entry) };
    }
    const [settled] = await ledger.db.batch([settle, ...recharge]);
    await recordEvent();
    return { ok: true, replayed: false, value: toTransactionView(settled[0] ?? entry) };
  } catch (error) {
    ledger.dropState();
    afterCommit = null;
    throw error;
  } finally {
    if (afterCommit) await afterCommit();
  }
}
