import { stripeEvents, transactions } from '../../schema/tables';
import { canonicalJson, sha256Hex } from '../lib/crypto';
import { newId } from '../lib/ids';
import { insertOutbox, outboxEvent } from '../notifications/outbox';
import { balanceCapFailure } from './balance_cap';
import { findByKey, replay } from './entry_replay';
import { balanceAfterGuard, moveBalance } from './guarded_balance';
import { notFound, refreshPrices, spendableMicros, type LedgerContext } from './ledger_context';
import type { LedgerResult } from './ledger_result';
import type { PostEntryInput } from './ledger_types';
import { LedgerInvariantError } from './load_state';
import { sendNotifications } from './send_notifications';
import { toTransactionView, type TransactionView } from './transaction_view';

/** WorkspaceLedger.postEntry, in its queue turn: one guarded batch moves the balance and records the entry. */
export async function postEntryNow(ledger: LedgerContext, input: PostEntryInput, retried = false): Promise<LedgerResult<TransactionView>> {
  const state = await ledger.load(input.workspaceId);
  if (!state) return notFound;

  // Mutations decide on current prices (the spendable balance depends on them). Deductions come
  // fast, so here a check within the last second is current enough.
  if (Date.now() - state.pricesCheckedAtMs > 1_000) await refreshPrices(ledger.env, state);
  const requestHash = await sha256Hex(
    canonicalJson({ kind: input.kind, amountMicros: input.amountMicros, description: input.description, memberId: input.memberId ?? null }),
  );
  const spendable = spendableMicros(state, Date.now());

  let deltaMicros: number;
  let forgivenMicros = 0;
  if (input.kind === 'deduction') {
    if (spendable < input.amountMicros) {
      // A replay of a deduction that succeeded earlier must still answer as it did then.
      const earlier = await findByKey(ledger.db, input.workspaceId, input.id);
      if (earlier) return replay(earlier, requestHash);
      return {
        ok: false,
        code: 'insufficient_credits',
        message: `The balance (${spendable} micros) cannot cover ${input.amountMicros} micros.`,
      };
    }
    deltaMicros = -input.amountMicros;
  } else {
    // A correction (or a refund, which is negative) never takes what the open hour's usage still
    // needs; the rest is forgiven.
    deltaMicros = Math.max(input.amountMicros, -spendable) || 0;
    forgivenMicros = deltaMicros - input.amountMicros;
    const overCap = balanceCapFailure(state.balanceMicros, deltaMicros, 'amountMicros');
    if (overCap) {
      // A replay of a grant that fitted earlier answers as it did then.
      const earlier = await findByKey(ledger.db, input.workspaceId, input.id);
      return earlier ? replay(earlier, requestHash) : overCap;
    }
  }

  const nowMs = Date.now();
  const db = ledger.db;
  const transactionId = newId('txn', nowMs);
  const notice = input.notify ? outboxEvent(input.notify.type, { ...input.notify.data, transactionId, amountMicros: deltaMicros }) : null;
  try {
    // New entries take one round trip: no read before the write. A replay is detected by the
    // unique idempotency index failing the batch, and then answered from the stored entry.
    const [updated, inserted] = await db.batch([
      moveBalance(ledger.db, state, deltaMicros, nowMs),
      db
        .insert(transactions)
        .values({
          id: transactionId,
          workspaceId: input.workspaceId,
          idempotencyKey: input.id,
          requestHash,
          type: input.kind === 'deduction' ? 'usage' : input.kind,
          status: 'completed',
          description: input.description,
          amountMicros: deltaMicros,
          forgivenMicros,
          balanceAfterMicros: balanceAfterGuard(input.workspaceId),
          memberId: input.memberId ?? null,
          createdAtMs: nowMs,
          settledAtMs: nowMs,
        })
        .returning(),
      ...(input.stripeEvent
        ? [
            ledger.db
              .insert(stripeEvents)
              .values({ eventId: input.stripeEvent.id, type: input.stripeEvent.type, workspaceId: input.workspaceId, processedAtMs: nowMs })
              .onConflictDoNothing(),
          ]
        : []),
      ...(notice ? [insertOutbox(db, input.workspaceId, [notice], nowMs)] : []),
    ]);
    const row = inserted[0];
    const balanceAfter = updated[0]?.balanceMicros;
    if (!row || balanceAfter === undefined) throw new LedgerInvariantError('ledger batch wrote nothing');
    state.balanceMicros = balanceAfter;
    state.updatedAtMs = nowMs;
    if (notice) await sendNotifications(ledger.env, [notice]);
    return { ok: true, replayed: false, value: toTransactionView(row) };
  } catch (error) {
    const message = String(error);
    if (message.includes('UNIQUE') && message.includes('idempotency_key')) {
      const earlier = await findByKey(ledger.db, input.workspaceId, input.id);
      if (earlier) return replay(earlier, requestHash);
    }
    // Any other failure: the cache may not match D1. Rebuild it before the next decision; if the
    // guard showed the cache was stale, decide once more on the fresh balance.
    ledger.dropState();
    if (!retried && message.includes('transactions_completed_has_balance_after')) {
      console.error(JSON.stringify({ level: 'error', msg: 'balance cache was stale; rebuilt from D1', workspaceId: input.workspaceId }));
      return postEntryNow(ledger, input, true);
    }
    if (message.includes('balances_non_negative')) {
      return { ok: false, code: 'insufficient_credits', message: 'The balance cannot cover this amount.' };
    }
    throw error;
  }
}
