// Usage ingestion: group commit of events into the object's own storage.
import { simBroken } from '../../lib/sim_hooks';
import { classifyEvents } from '../../usage/classify_events';
import { roundMicros } from '../../usage/exact_cost';
import { retentionCutoffMs } from '../../usage/retention';
import { rollUp } from '../../usage/roll_up';
import type { NormalizedEvent } from '../../usage/usage_event';
import { balances } from '../../../schema/tables';
import { eq, sql } from 'drizzle-orm';
import type { EventStore } from './event_store';
import { notFound, refreshPrices, WRITE_PRICE_CHECK_MS, type LedgerContext } from '../state/ledger_context';
import type { LedgerResult } from '../ledger_result';
import type { IngestResult } from '../ledger_types';
import type { SerialQueue } from '../state/serial_queue';

interface IngestWaiter {
  workspaceId: string;
  events: NormalizedEvent[];
  resolve: (result: LedgerResult<IngestResult>) => void;
  reject: (error: unknown) => void;
}


/** Usage events in, grouped: the waiting requests of one queue turn commit together. */
export class UsageIngestion {
  private waiters: IngestWaiter[] = [];
  private scheduled = false;
  /** The newest price list version a caller of the waiting group has seen. */
  private newestPriceVersion = 0;

  /** `afterCommit` runs in the group's queue turn once it is committed (zero-balance enforcement). */
  constructor(
    private readonly ledger: LedgerContext,
    private readonly queue: SerialQueue,
    private readonly store: EventStore,
    private readonly afterCommit: (workspaceId: string) => Promise<unknown>,
  ) {}

  /**
   * WorkspaceLedger.ingest: queues the request's events for the next group commit. `priceVersion`
   * is the newest price list the caller has seen: a newer one than the object's makes it reload.
   */
  ingest(workspaceId: string, events: NormalizedEvent[], priceVersion = 0): Promise<LedgerResult<IngestResult>> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ workspaceId, events, resolve, reject });
      this.newestPriceVersion = Math.max(this.newestPriceVersion, priceVersion);
      if (this.scheduled) return;
      this.scheduled = true;
      void this.queue.run(async () => {
        const group = this.waiters.splice(0);
        this.scheduled = false;
        try {
          await this.commitGroup(group);
          await this.afterCommit(group[0]!.workspaceId);
        } catch (error) {
          this.ledger.dropState();
          for (const w of group) w.reject(error);
        }
      });
    });
  }

  private async commitGroup(group: IngestWaiter[]): Promise<void> {
    const workspaceId = group[0]!.workspaceId;
    const state = await this.ledger.load(workspaceId);
    if (!state) {
      for (const w of group) w.resolve(notFound);
      return;
    }
    const nowMs = Date.now();
    if (state.book.latestVersion < this.newestPriceVersion || nowMs - state.pricesCheckedAtMs > WRITE_PRICE_CHECK_MS) await refreshPrices(this.ledger.env, state);

    const ids = [...new Set(group.flatMap((w) => w.events.map((e) => e.id)))];
    const earliestAcceptedMs = Math.max(retentionCutoffMs(this.ledger.env, nowMs), state.createdAtMs);
    const { outcomes, byok, descriptions } = classifyEvents(
      group.map((w) => w.events),
      this.store.knownHashes(ids),
      state.book,
      state.open,
      earliestAcceptedMs,
    );
    const rows = outcomes.flatMap((o) => o.rows);
    if (rows.length > 0) {
      const rollups = rollUp(rows, byok, descriptions);
      // (Tools counted twice only under the simulator's test-only switch: proves its billed-once check fails.)
      if (simBroken('usage_double_count')) for (const r of rollups) if (r.kind === 'tool') r.count *= 2;
      // The hourly cron finds workspaces with events to settle through D1: before the events are
      // stored, make sure it will (once per settlement cycle in steady state, not per group).
      const oldestHourMs = Math.min(...rollups.map((r) => r.hourMs));
      if (state.oldestOpenEventHourMs === null || oldestHourMs < state.oldestOpenEventHourMs) {
        await this.ledger.db
          .update(balances)
          .set({ oldestOpenEventHourMs: sql`MIN(COALESCE(${balances.oldestOpenEventHourMs}, ${oldestHourMs}), ${oldestHourMs})` })
          .where(eq(balances.workspaceId, workspaceId));
        state.oldestOpenEventHourMs = Math.min(state.oldestOpenEventHourMs ?? oldestHourMs, oldestHourMs);
      }
      // Synchronous and transactional; the output gate holds every answer until it is durable.
      this.store.append(rows, byok, descriptions, rollups);
      for (const r of rollups) state.open.addRollup(r, state.book);
    }
    outcomes.forEach((o, i) => {
      const waiter = group[i]!;
      if (o.refusal) waiter.resolve({ ok: false, ...o.refusal });
      else waiter.resolve({ ok: true, replayed: false, value: { accepted: o.rows.length, duplicates: o.duplicates, costMicros: roundMicros(o.exact) } });
    });
  }
}
