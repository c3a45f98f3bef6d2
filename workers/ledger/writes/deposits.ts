// Deposits: pending until Stripe says paid or failed. Opening and closing one are writes of the
// object's group commit (group_commit.ts).
import { and, eq } from 'drizzle-orm';
import { checkoutSessions, ledgerWorkspaces, transactions } from '../../../schema/tables';
import { canonicalJson, sha256Hex } from '../../lib/crypto';
import { newId } from '../../lib/ids';
import { MICROS_PER_CENT } from '../../lib/money';
import { outboxEvent } from '../../notifications/outbox';
import { AUTHENTICATION_EXPIRED, AUTHENTICATION_REQUIRED, NEVER_SENT_TO_STRIPE } from '../payments_port';
import { balanceCapFailure } from '../rules/balance_cap';
import { replay } from '../entry_replay';
import type { Committed, GroupBatch } from './group_batch';
import { commitGroup, type GroupWrite, type LedgerGroupCommit } from './group_commit';
import type { GroupView } from './group_view';
import { balanceAfterGuard } from './guarded_balance';
import { notFound, type LedgerContext } from '../state/ledger_context';
import type { LedgerResult } from '../ledger_result';
import type { CloseDepositInput, OpenDepositInput, SavedCardDepositInput } from '../ledger_types';
import { MAX_AUTO_RECHARGE_ATTEMPTS } from '../recharge/recharge_retry';
import { toTransactionView, type TransactionRow, type TransactionView } from '../transaction_view';
import { creditBlock } from '../rules/blocks/entry_blocks';

/** Why an auto-recharge can fail without the card being declined (no retry count, auto-top-up stays on). */
const NOT_A_DECLINE = new Set<string>([AUTHENTICATION_EXPIRED, AUTHENTICATION_REQUIRED, NEVER_SENT_TO_STRIPE]);

/** WorkspaceLedger.openDeposit: a pending entry (and the checkout session that pays it), once per key. */
export class OpenDepositWrite implements GroupWrite<TransactionView> {
  readonly workspaceId: string;
  readonly writes: { keys: string[] };
  private requestHash = '';

  constructor(private readonly input: OpenDepositInput) {
    this.workspaceId = input.workspaceId;
    this.writes = { keys: [input.key] };
  }

  async prepare() {
    const { type, amountMicros, sessionId } = this.input;
    this.requestHash = await sha256Hex(canonicalJson({ type, amountMicros, sessionId: sessionId ?? null }));
  }

  decide(view: GroupView, batch: GroupBatch) {
    const { input, requestHash } = this;
    const known = view.entries.get(input.key);
    if (known) return () => replay(known, requestHash);
    const overCap = balanceCapFailure(view.balanceMicros, input.amountMicros, 'amountCents');
    if (overCap) {
      batch.lookUpIfRefused(input.key);
      return (committed: Committed) => {
        const earlier = committed.earlier(input.key);
        return earlier ? replay(earlier, requestHash) : overCap;
      };
    }
    const nowMs = view.nowMs;
    const { seq: _seq, ...values } = {
      seq: 0,
      id: input.transactionId ?? newId('txn', nowMs),
      workspaceId: input.workspaceId,
      idempotencyKey: input.key,
      requestHash,
      type: input.type,
      status: 'pending',
      description: input.description,
      amountMicros: input.amountMicros,
      forgivenMicros: 0,
      balanceAfterMicros: null,
      invoiceUrl: null,
      memberId: null,
      createdAtMs: nowMs,
      settledAtMs: null,
    } satisfies TransactionRow;
    const row: TransactionRow = { seq: 0, ...values };
    batch.add(batch.db.insert(transactions).values(values));
    if (input.sessionId) {
      // The session's mapping (session → workspace and deposit key), where the webhook looks it up.
      batch.beforeInDirectory(
        batch.db.insert(checkoutSessions).values({
          sessionId: input.sessionId,
          workspaceId: input.workspaceId,
          transactionKey: input.key,
          amountCents: input.amountMicros / MICROS_PER_CENT,
          createdAtMs: nowMs,
        }).onConflictDoNothing(),
      );
    }
    view.entries.set(input.key, row);
    return () => ({ ok: true, replayed: false, value: toTransactionView(row) }) as const;
  }
}

/**
 * WorkspaceLedger.closeDeposit: settles a pending deposit exactly once, completed (the balance moves
 * in the same batch) or failed; later closes answer with the entry as it is. The Stripe event that
 * caused it is marked processed in the directory once the batch committed.
 */
export class CloseDepositWrite implements GroupWrite<TransactionView> {
  readonly workspaceId: string;
  readonly reads: { keys: string[] };

  constructor(private readonly input: CloseDepositInput) {
    this.workspaceId = input.workspaceId;
    this.reads = { keys: [input.key] };
  }

  decide(view: GroupView, batch: GroupBatch) {
    const { input } = this;
    const entry = view.entries.get(input.key);
    if (!entry) return () => ({ ok: false, code: 'not_found', message: 'No such pending deposit.' }) as const;
    const nowMs = view.nowMs;
    const event = input.event;
    if (event) batch.recordStripeEvent(event);
    if (entry.status !== 'pending') return () => ({ ok: true, replayed: true, value: toTransactionView(entry) }) as const;

    const pending = and(eq(transactions.workspaceId, input.workspaceId), eq(transactions.idempotencyKey, input.key), eq(transactions.status, 'pending'));
    let closed: TransactionRow;
    if (input.outcome === 'completed') {
      view.balanceMicros += entry.amountMicros;
      closed = { ...entry, status: 'completed', balanceAfterMicros: view.balanceMicros, invoiceUrl: input.invoiceUrl ?? null, settledAtMs: nowMs };
      batch.moveBalanceThen(
        entry.amountMicros,
        batch.db
          .update(transactions)
          .set({ status: 'completed', balanceAfterMicros: balanceAfterGuard(input.workspaceId), invoiceUrl: closed.invoiceUrl, settledAtMs: nowMs })
          .where(pending),
      );
      // Every deposit is a paid block: priority 50, never expires.
      if (entry.amountMicros > 0) creditBlock(view, batch, entry.id, entry.amountMicros, { category: 'paid', source: entry.type === 'auto_recharge' ? 'auto_recharge' : 'deposit' });
    } else {
      closed = { ...entry, status: 'failed', settledAtMs: nowMs };
      batch.add(batch.db.update(transactions).set({ status: 'failed', settledAtMs: nowMs }).where(pending));
    }
    // An auto-recharge's outcome also keeps the count of consecutive declines, in the same batch.
    // Every decline tells the platform (auto_recharge.failed, with which try it was); the third in a
    // row turns auto-top-up off.
    if (entry.type === 'auto_recharge') {
      // A payment the bank wanted authenticated (3-D Secure), left unauthenticated, fails without
      // being a decline of the card.
      const declined = input.outcome === 'failed' && !NOT_A_DECLINE.has(input.failureReason ?? '');
      const failures = input.outcome === 'completed' ? 0 : declined ? view.autoTopupFailures + 1 : view.autoTopupFailures;
      const giveUp = failures >= MAX_AUTO_RECHARGE_ATTEMPTS;
      batch.add(
        batch.db
          .update(ledgerWorkspaces)
          .set({ autoTopupFailures: failures, ...(giveUp ? { autoTopupEnabled: false } : {}) })
          .where(eq(ledgerWorkspaces.workspaceId, input.workspaceId)),
      );
      if (input.outcome === 'failed') {
        batch.notify(outboxEvent('auto_recharge.failed', { transactionId: entry.id, attempt: view.autoTopupFailures + 1, declineCode: input.failureReason ?? 'card_declined', disabled: giveUp }));
      }
      view.autoTopupFailures = failures;
      if (giveUp) view.autoTopupEnabled = false;
    }
    view.entries.set(input.key, closed);
    return () => ({ ok: true, replayed: false, value: toTransactionView(closed) }) as const;
  }
}

/** Closes a deposit in the caller's queue turn (auto-recharge, inside zero-balance enforcement). */
export async function closeDepositNow(ledger: LedgerContext, input: CloseDepositInput): Promise<LedgerResult<TransactionView>> {
  const { answers } = await commitGroup(ledger, [new CloseDepositWrite(input)]);
  return answers[0] as LedgerResult<TransactionView>;
}

/**
 * WorkspaceLedger.depositWithSavedCard: the pending entry (one grouped write), one off-session
 * PaymentIntent keyed by the entry, then its outcome (another grouped write). The Stripe call sits
 * between the two groups, so no D1 batch of the workspace waits for Stripe. A payment Stripe has
 * not decided yet stays pending for the webhook, as for auto-recharge.
 */
export async function depositWithSavedCard(ledger: LedgerContext, groups: LedgerGroupCommit, input: SavedCardDepositInput): Promise<LedgerResult<TransactionView>> {
  const state = await ledger.load(input.workspaceId);
  if (!state) return notFound;
  const { stripeCustomerId, paymentMethodId } = state.flags;
  if (!stripeCustomerId || !paymentMethodId) {
    return { ok: false, code: 'payment_method_required', message: 'No saved payment method: pay with a new card through Checkout.' };
  }
  const opened = await groups.submit(
    new OpenDepositWrite({
      workspaceId: input.workspaceId,
      key: input.key,
      type: 'deposit',
      amountMicros: input.amountCents * MICROS_PER_CENT,
      description: input.description,
      transactionId: input.transactionId,
    }),
  );
  // A replay (or a conflicting reuse of the key) answers with what was recorded; it never pays twice.
  if (!opened.ok || opened.replayed) return opened;
  const charged = await ledger.payments.chargeSavedCard({
    workspaceId: input.workspaceId,
    transactionKey: input.key,
    amountCents: input.amountCents,
    customerId: stripeCustomerId,
    paymentMethodId,
    description: 'burnrate credit top-up',
  });
  const { invoiceUrl } = charged;
  let { outcome, failureReason } = charged;
  // A top-up someone asked for with the saved card, which the bank wants authenticated: declined
  // off-session by Stripe (authentication_required), so it fails; paying through Checkout runs the
  // bank's challenge. (A PaymentIntent waiting in requires_action instead stays pending.)
  if (charged.authentication && !charged.authentication.url) {
    outcome = 'failed';
    failureReason = AUTHENTICATION_REQUIRED;
  }
  if (!outcome) return opened;
  const closed = await groups.submit(new CloseDepositWrite({ workspaceId: input.workspaceId, key: input.key, outcome, failureReason, invoiceUrl }));
  // The payment's webhook may have closed the entry first: this request still opened it.
  return closed.ok ? { ...closed, replayed: false } : closed;
}
