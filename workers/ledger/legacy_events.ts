// The move of usage events stored in D1 (before this release) into their workspace's ledger object.
// Each object does it once, on its first load: the events still inside the retention window (the
// ids it must keep deduplicating) and the open hours' rollups (the usage it must still settle).
// Settled events older than the window stay in D1 as they are; nothing can resend them any more.
import { rollupFromRow, type EventStore, type EventTuple, type StoredRollup } from './event_store';

const DONE_KEY = 'legacy_events_moved';
const PAGE = 5_000;

export async function importLegacyEvents(db: D1Database, workspaceId: string, store: EventStore, settledThroughMs: number, retentionCutoffMs: number): Promise<void> {
  if (store.meta(DONE_KEY) !== null) return;
  const { results: rollupRows } = await db
    .prepare(
      `SELECT hour_ms, member_id, kind, line_key, price_version, input_tokens, output_tokens, count, amount_micros, description, occurred_at_ms
         FROM usage_rollups WHERE workspace_id = ? AND hour_ms >= ?`,
    )
    .bind(workspaceId, settledThroughMs)
    .all<Record<string, SqlStorageValue>>();
  const rollups: StoredRollup[] = rollupRows.map(rollupFromRow);
  const chargeDescriptions = new Map(rollups.filter((r) => r.kind === 'charge').map((r) => [r.lineKey, r.description]));

  let moved = 0;
  for (let after = ''; ; ) {
    const { results } = await db
      .prepare(
        `SELECT event_id, request_hash, hour_ms, occurred_at_ms, member_id, type, line_key, input_tokens, output_tokens, amount_micros, price_version
           FROM usage_events WHERE workspace_id = ?1 AND event_id > ?2 AND (occurred_at_ms >= ?3 OR hour_ms >= ?4)
          ORDER BY event_id LIMIT ?5`,
      )
      .bind(workspaceId, after, retentionCutoffMs, settledThroughMs, PAGE)
      .all<Record<string, number | string>>();
    // Page by page (ids already moved are skipped, so a retry after a crash is harmless). D1 did
    // not keep `byok` per event (its rollups did); the listing shows such events as priced.
    const events = results.map((e): EventTuple => {
      const id = e.event_id as string;
      return [
        id,
        e.request_hash as string,
        e.hour_ms as number,
        e.occurred_at_ms as number,
        e.member_id as string,
        e.type as string,
        e.line_key as string,
        e.input_tokens as number,
        e.output_tokens as number,
        e.amount_micros as number,
        e.price_version as number,
        0,
        e.type === 'charge' ? (chargeDescriptions.get(id) ?? 'Charge') : null,
      ];
    });
    store.importEvents(events, [], null);
    moved += events.length;
    if (results.length < PAGE) break;
    after = results[results.length - 1]!.event_id as string;
  }

  // The rollups and the mark that the move is done in one storage transaction: never added twice.
  store.importEvents([], rollups, DONE_KEY);
  if (moved === 0 && rollups.length === 0) return;
  // Then free D1. Should this fail, the rows left behind are harmless: nothing reads open hours'
  // rollups from D1 any more, and settlement overwrites a settled hour's rollups with its own.
  await db
    .batch([
      db.prepare('DELETE FROM usage_rollups WHERE workspace_id = ? AND hour_ms >= ?').bind(workspaceId, settledThroughMs),
      db.prepare('DELETE FROM usage_events WHERE workspace_id = ? AND (occurred_at_ms >= ? OR hour_ms >= ?)').bind(workspaceId, retentionCutoffMs, settledThroughMs),
    ])
    .catch((error) => console.error(JSON.stringify({ level: 'warn', msg: 'legacy usage rows left in D1', workspaceId, error: String(error) })));
}
