// Hourly settlement: every closed hour with usage becomes one `usage` entry, exactly once.
import { transactions } from '../../schema/tables';
import type { Env } from '../env';
import { newId } from '../lib/ids';
import { iso } from '../lib/time';
import { archiveHour } from '../usage/archive_hour';
import { MS_PER_HOUR } from '../usage/exact_cost';
import { loadPriceBook } from '../usage/pricing';
import { pruneBeforeHourMs } from '../usage/retention';
import { billHour, insertSettledRollups, insertSettlementLines, readHourIntervals } from '../usage/settle_hour';
import type { EventStore } from './event_store';
import { balanceAfterGuard, moveBalance } from './guarded_balance';
import { notFound, type LedgerContext } from './ledger_context';
import type { LedgerResult } from './ledger_result';
import { LedgerInvariantError, type LedgerState } from './load_state';
import { isLedgerConflict } from '../lib/d1_errors';

export type SettleResult = { settledHours: number; chargedMicros: number; forgivenMicros: number };

/** WorkspaceLedger.settle, in its queue turn. */
export async function settleNow(ledger: LedgerContext, store: EventStore, workspaceId: string, cutoffMs: number): Promise<LedgerResult<SettleResult>> {
  let state = await ledger.load(workspaceId);
  if (!state) return notFound;
  // Nothing closed (the alarm settled it already, or only the current hour is open): no D1 round
  // trip at all. The cached state knows every unsettled hour: nothing moves the money but this object.
  if (state.open.closedHours(cutoffMs).length === 0) {
    pruneEventsNow(ledger.env, store, state, Date.now());
    return { ok: true, replayed: false, value: { settledHours: 0, chargedMicros: 0, forgivenMicros: 0 } };
  }
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
    const nextHourMs = hourMs + MS_PER_HOUR;
    // The hour's events: from this object's storage; its runtime: from D1 (never from a cache).
    const rollups = store.rollupsOfHour(hourMs);
    const intervals = await readHourIntervals(ledger.db, workspaceId, hourMs);
    const bill = billHour(hourMs, rollups, intervals, state.book, state.balanceMicros);
    // The raw events reach the archive before the hour is marked settled (after which they may be
    // pruned); a retry rewrites the same object.
    await archiveHour(ledger.env, store, workspaceId, hourMs);
    const oldestOpenEventHourMs = state.open.oldestEventHourFrom(nextHourMs);
    const nowMs = Date.now();
    const txnId = newId('txn', nowMs);
    try {
      const [updated] = await ledger.db.batch([
        moveBalance(ledger.db, state, -bill.chargedMicros, nowMs, { settledThroughMs: nextHourMs, oldestOpenEventHourMs }),
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
        ...insertSettledRollups(ledger.db, workspaceId, rollups),
      ]);
      state.balanceMicros = updated[0]?.balanceMicros ?? state.balanceMicros - bill.chargedMicros;
      state.updatedAtMs = nowMs;
      state.oldestOpenEventHourMs = oldestOpenEventHourMs;
      state.open.settleThrough(nextHourMs);
      store.dropRollupsBefore(nextHourMs);
      settledHours += 1;
      chargedMicros += bill.chargedMicros;
      forgivenMicros += bill.forgivenMicros;
    } catch (error) {
      // Settled already (by an earlier life of this object), or the cache was stale: rebuild
      // from D1, which knows exactly which hours are settled, and carry on from there.
      ledger.dropState();
      if (!isLedgerConflict(error) || ++rebuilds > 3) throw error;
      state = await ledger.load(workspaceId);
      if (!state) return notFound;
    }
  }
  pruneEventsNow(ledger.env, store, state, Date.now());
  return { ok: true, replayed: false, value: { settledHours, chargedMicros, forgivenMicros } };
}

/** Deletes the stored events of settled (so archived) hours that have left the retention window. */
export function pruneEventsNow(env: Env, store: EventStore, state: LedgerState, nowMs: number): number {
  return store.pruneBefore(pruneBeforeHourMs(env, nowMs, state.open.settledThroughMs));
}
