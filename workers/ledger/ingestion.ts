// Usage ingestion: group commit of events into one D1 batch.
import { classifyEvents } from '../usage/classify_events';
import { roundMicros } from '../usage/exact_cost';
import { insertEvents, rollUp, upsertRollups } from '../usage/ingest_statements';
import type { NormalizedEvent } from '../usage/usage_event';
import { notFound, refreshPrices, type LedgerContext } from './ledger_context';
import type { LedgerResult } from './ledger_result';
import type { IngestResult } from './ledger_types';
import type { SerialQueue } from './serial_queue';

interface IngestWaiter {
  workspaceId: string;
  events: NormalizedEvent[];
  resolve: (result: LedgerResult<IngestResult>) => void;
  reject: (error: unknown) => void;
}

const RECENT_EVENT_IDS = 50_000;

/** Usage events in, grouped: the waiting requests, and the ids recently accepted. */
export class UsageIngestion {
  private waiters: IngestWaiter[] = [];
  private scheduled = false;
  // Recently accepted event ids → request hash: lets most duplicates be answered without D1 and
  // keeps the optimistic write path clean. D1's primary key remains the authority.
  private readonly recentEvents = new Map<string, string>();

  /** `afterCommit` runs in the group's queue turn once it is committed (zero-balance enforcement). */
  constructor(
    private readonly ledger: LedgerContext,
    private readonly queue: SerialQueue,
    private readonly afterCommit: (workspaceId: string) => Promise<unknown>,
  ) {}

  /** WorkspaceLedger.ingest: queues the request's events for the next group commit. */
  ingest(workspaceId: string, events: NormalizedEvent[]): Promise<LedgerResult<IngestResult>> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ workspaceId, events, resolve, reject });
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
    await refreshPrices(this.ledger.env, state);

    let known: ReadonlyMap<string, string> = this.recentEvents;
    for (let attempt = 0; ; attempt++) {
      const { outcomes, byok, descriptions } = classifyEvents(
        group.map((w) => w.events),
        known,
        state.book,
        state.open.settledThroughMs,
      );
      const rows = outcomes.flatMap((o) => o.rows);
      const rollups = rollUp(rows, byok, descriptions);
      if (rows.length > 0) {
        const occurredAt = new Map(rows.filter((r) => r.type === 'charge').map((r) => [r.lineKey, r.occurredAtMs]));
        try {
          await this.ledger.db.batch([insertEvents(this.ledger.db, workspaceId, rows), upsertRollups(this.ledger.db, workspaceId, rollups, occurredAt)]);
        } catch (error) {
          // Some id is already stored but was not in memory (an earlier life of this object):
          // learn the stored ids of this group and classify again.
          if (attempt === 0 && String(error).includes('UNIQUE')) {
            known = new Map([...this.recentEvents, ...(await this.storedEventHashes(workspaceId, group))]);
            continue;
          }
          throw error;
        }
      }
      for (const r of rollups) state.open.addRollup(r, state.book);
      for (const r of rows) this.rememberEvent(r.eventId, r.requestHash);
      outcomes.forEach((o, i) => {
        const waiter = group[i]!;
        if (o.refusal) waiter.resolve({ ok: false, ...o.refusal });
        else waiter.resolve({ ok: true, replayed: false, value: { accepted: o.rows.length, duplicates: o.duplicates, costMicros: roundMicros(o.exact) } });
      });
      return;
    }
  }

  private async storedEventHashes(workspaceId: string, group: IngestWaiter[]): Promise<Map<string, string>> {
    const ids = JSON.stringify([...new Set(group.flatMap((w) => w.events.map((e) => e.id)))]);
    const { results } = await this.ledger.env.DB.prepare(
      'SELECT event_id, request_hash FROM usage_events WHERE workspace_id = ? AND event_id IN (SELECT value FROM json_each(?))',
    )
      .bind(workspaceId, ids)
      .all<{ event_id: string; request_hash: string }>();
    return new Map(results.map((r) => [r.event_id, r.request_hash]));
  }

  private rememberEvent(id: string, hash: string) {
    this.recentEvents.set(id, hash);
    if (this.recentEvents.size > RECENT_EVENT_IDS) {
      const oldest = this.recentEvents.keys().next().value;
      if (oldest !== undefined) this.recentEvents.delete(oldest);
    }
  }
}
