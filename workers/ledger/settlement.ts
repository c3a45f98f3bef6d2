// Hourly settlement: every closed hour with usage becomes one `usage` entry, exactly once.
import { transactions } from '../../schema/tables';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { MS_PER_HOUR } from '../usage/exact_cost';
import { loadPriceBook } from '../usage/pricing';
import { billHour, insertSettlementLines, readHour } from '../usage/settle_hour';
import { balanceAfterGuard, moveBalance } from './guarded_balance';
import { notFound, type LedgerContext } from './ledger_context';
import type { LedgerResult } from './ledger_result';
import { LedgerInvariantError } from './load_state';

export type SettleResult = { settledHours: number; chargedMicros: number; forgivenMicros: number };

/** WorkspaceLedger.settle, in its queue turn. */
export async function settleNow(ledger: LedgerContext, workspaceId: string, cutoffMs: number): Promise<LedgerResult<SettleResult>> {
  let state = await ledger.load(workspaceId);
  if (!state) return notFound;
  // Settlement never trusts a cached price list.
  state.book = await loadPriceBook(ledger.env.DB);
  state.pricesCheckedAtMs = Date.now();
  let settledHours = 0;
  let chargedMicros = 0;
  let forgivenMicros = 0;
  let rebuilds = 0;
  // The next closed hour is recomputed from the state each time round: after a rebuild from D1
  // the settled point may have moved, and an hour before it is never billed again.
  for (let hourMs = state.open.closedHours(cutoffMs)[0]; hourMs !== undefined; hourMs = state.open.closedHours(cutoffMs)[0]) {
    if (hourMs < state.open.settledThroughMs) throw new LedgerInvariantError(`hour ${iso(hourMs)} is before the settled point`);
    const { rollups, intervals } = await readHour(ledger.db, workspaceId, hourMs);
    const bill = billHour(hourMs, rollups, intervals, state.book, state.balanceMicros);
    const nowMs = Date.now();
    const txnId = newId('txn', nowMs);
    try {
      const [updated] = await ledger.db.batch([
        moveBalance(ledger.db, state, -bill.chargedMicros, nowMs, hourMs + MS_PER_HOUR),
        ledger.db.insert(transactions).values({
          id: txnId,
          workspaceId,
          idempotencyKey: `settle:${iso(hourMs)}`,
          requestHash: 'settlement',
          type: 'usage',
          status: 'completed',
          description: bill.description,
          amountMicros: -bill.chargedMicros || 0,
          forgivenMicros: bill.forgivenMicros,
          balanceAfterMicros: balanceAfterGuard(workspaceId),
          createdAtMs: nowMs,
          settledAtMs: nowMs,
        }),
        insertSettlementLines(ledger.db, workspaceId, txnId, bill),
      ]);
      state.balanceMicros = updated[0]?.balanceMicros ?? state.balanceMicros - bill.chargedMicros;
      state.updatedAtMs = nowMs;
      state.open.settleThrough(hourMs + MS_PER_HOUR);
      settledHours += 1;
      chargedMicros += bill.chargedMicros;
      forgivenMicros += bill.forgivenMicros;
    } catch (error) {
      // Settled already (by an earlier life of this object), or the cache was stale: rebuild
      // from D1, which knows exactly which hours are settled, and carry on from there.
      ledger.dropState();
      const expected = String(error).includes('UNIQUE') || String(error).includes('transactions_completed_has_balance_after');
      if (!expected || ++rebuilds > 3) throw error;
      state = await ledger.load(workspaceId);
      if (!state) return notFound;
    }
  }
  return { ok: true, replayed: false, value: { settledHours, chargedMicros, forgivenMicros } };
}
