// Hourly settlement: every closed hour with usage becomes one `usage` entry, exactly once.
import type { Env } from '../../env';
import { newId } from '../../lib/ids';
import { iso } from '../../lib/time';
import { archiveHour } from '../../usage/archive_hour';
import { MS_PER_HOUR } from '../../usage/exact_cost';
import { pruneBeforeHourMs } from '../../usage/retention';
import { billHour, intervalsInHour, readIntervalsBetween, settleHourStatements } from '../../usage/settle_hour';
import type { EventStore } from './event_store';
import { notFound, refreshPrices, type LedgerContext } from '../state/ledger_context';
import type { LedgerResult } from '../ledger_result';
import { LedgerInvariantError, type LedgerState } from '../state/ledger_state';
import { isLedgerConflict } from '../../lib/d1_errors';
import { hourBlocks, hourBlockWrites } from '../rules/blocks/settle_blocks';

export type SettleResult = { settledHours: number; chargedMicros: number; forgivenMicros: number };

/** Hours whose runtime is read from D1 in one query: a workspace days behind catches up in a few. */
const HOURS_PER_READ = 24;

/**
 * WorkspaceLedger.settle, in its queue turn. `loadedNow`: the object had no state and read it from
 * D1 for this call (an object woken by its alarm, or by the cron's message, usually has none).
 */
export async function settleNow(ledger: LedgerContext, store: EventStore, workspaceId: string, cutoffMs: number, loadedNow = false): Promise<LedgerResult<SettleResult>> {
  let state = await ledger.load(workspaceId);
  if (!state) return notFound;
  // A state read from D1 in this very turn holds every unsettled interval and the whole price
  // list as D1 has them now: the first hours settle without reading them again.
  let fresh = loadedNow;
  const total: SettleResult = { settledHours: 0, chargedMicros: 0, forgivenMicros: 0 };
  let rebuilds = 0;
  // The closed hours are recomputed from the state each time round: after a rebuild from D1 the
  // settled point may have moved, and an hour before it is never billed again. Nothing closed
  // (the alarm settled it already, or only the current hour is open): no D1 round trip at all;
  // the cached state knows every unsettled hour, as nothing moves the money but this object.
  for (let hours = state.open.closedHours(cutoffMs).slice(0, HOURS_PER_READ); hours.length > 0; hours = state.open.closedHours(cutoffMs).slice(0, HOURS_PER_READ)) {
    if (hours[0]! < state.open.settledThroughMs) throw new LedgerInvariantError(`hour ${iso(hours[0]!)} is before the settled point`);
    try {
      await settleHours(ledger, store, state, hours, total, fresh);
      fresh = false;
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
  return { ok: true, replayed: false, value: total };
}

/**
 * Settles consecutive closed hours, oldest first, each in its own D1 batch (one `usage` entry, its
 * lines and rollups, and the guarded balance update that moves the settled point past it), adding
 * each committed hour to `total`. Their runtime is read in one round trip for all of them.
 */
async function settleHours(ledger: LedgerContext, store: EventStore, state: LedgerState, hours: readonly number[], total: SettleResult, fresh: boolean): Promise<void> {
  const workspaceId = state.workspaceId;
  const db = ledger.db;
  // The runtime: from D1 (never from a cache); the prices: the latest version checked against D1
  // (price lists are only ever added), the book reloaded only when a new one exists. In parallel:
  // the price list and the ledger need not live in the same database. A state read from D1 in
  // this turn has both already (its intervals: every one running or stopped after the settled point).
  const [intervals] = fresh
    ? [state.open.intervals]
    : await Promise.all([readIntervalsBetween(db, workspaceId, hours[0]!, hours[hours.length - 1]! + MS_PER_HOUR), refreshPrices(ledger.env, state)]);
  const book = state.book;

  for (const hourMs of hours) {
    const nextHourMs = hourMs + MS_PER_HOUR;
    // The hour's events: from this object's storage.
    const rollups = store.rollupsOfHour(hourMs);
    // Its charge is funded by the open blocks (not by those that expired before the hour began).
    const blocks = hourBlocks(state.blocks, state.balanceMicros, hourMs);
    const bill = billHour(hourMs, rollups, intervalsInHour(intervals, hourMs), book, blocks.availableMicros);
    // The raw events reach the archive before the hour is marked settled (after which they may be
    // pruned); a retry rewrites the same object.
    await archiveHour(ledger.env, store, workspaceId, hourMs);
    const oldestOpenEventHourMs = state.open.oldestEventHourFrom(nextHourMs);
    const nowMs = Date.now();
    const transactionId = newId('txn', nowMs);
    const hourStatements = settleHourStatements(ledger.d1, db, {
      workspaceId,
      expectedBalanceMicros: state.balanceMicros,
      expectedSettledThroughMs: state.open.settledThroughMs,
      bill,
      transactionId,
      nowMs,
      oldestOpenEventHourMs,
      rollups,
    });
    // Then, in the same batch, what paid for it, and the blocks that expire by the hour's end.
    const afterChargeMicros = state.balanceMicros - bill.chargedMicros;
    const blockWrites = hourBlockWrites(blocks, workspaceId, hourMs, transactionId, bill.chargedMicros, afterChargeMicros, nowMs);
    const results = await ledger.d1.batch<Record<string, unknown>>([
      ...hourStatements,
      ...blockWrites.statements.map((s) => ledger.d1.prepare(s.sql).bind(...s.params)),
    ]);
    const updated = results[0]?.results[0]?.balanceMicros;
    if (updated !== undefined && updated !== afterChargeMicros) throw new LedgerInvariantError('settlement moved the balance by an unexpected amount');
    if (blockWrites.expiryMoveAt !== null) {
      const moved = results[hourStatements.length + blockWrites.expiryMoveAt]?.results[0]?.balance_micros;
      if (moved !== afterChargeMicros - blockWrites.expiredMicros) throw new LedgerInvariantError('expirations moved the balance by an unexpected amount');
    }
    // Committed: the cache follows.
    state.balanceMicros = afterChargeMicros - blockWrites.expiredMicros;
    blocks.draws.applyTo(state.blocks);
    state.updatedAtMs = nowMs;
    state.oldestOpenEventHourMs = oldestOpenEventHourMs;
    state.open.settleThrough(nextHourMs);
    store.dropRollupsBefore(nextHourMs);
    total.settledHours += 1;
    total.chargedMicros += bill.chargedMicros;
    total.forgivenMicros += bill.forgivenMicros;
  }
}

/** Deletes the stored events of settled (so archived) hours that have left the retention window. */
export function pruneEventsNow(env: Env, store: EventStore, state: LedgerState, nowMs: number): number {
  return store.pruneBefore(pruneBeforeHourMs(env, nowMs, state.open.settledThroughMs));
}
