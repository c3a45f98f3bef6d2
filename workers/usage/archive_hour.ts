// The audit archive: at settlement, before its events may ever be pruned, each workspace-hour's raw
// events go to R2 as one gzipped NDJSON object, so every charge stays explainable after the
// retention window.
import type { Env } from '../env';
import type { EventStore } from '../ledger/usage/event_store';
import { iso } from '../lib/time';
import { toUsageEventView } from './usage_event_view';

const PAGE = 5_000;
const encoder = new TextEncoder();

export const archiveKey = (workspaceId: string, hourMs: number) => `usage-events/${workspaceId}/${iso(hourMs)}.ndjson.gz`;

/**
 * Writes the events billed in `hourMs` to R2 (in the order they were stored, so a retry writes the
 * same object).
 * Streams pages of events through gzip, so memory holds the compressed hour, not the raw one.
 * Answers how many events were archived; an hour without events writes nothing.
 */
export async function archiveHour(env: Pick<Env, 'USAGE_ARCHIVE'>, store: EventStore, workspaceId: string, hourMs: number): Promise<number> {
  const first = store.eventsOfHour(hourMs, 0, PAGE);
  if (first.length === 0) return 0;
  const gzip = new CompressionStream('gzip');
  const writer = gzip.writable.getWriter();
  const compressed = new Response(gzip.readable).arrayBuffer();
  let count = 0;
  for (let page = first; page.length > 0; page = page.length < PAGE ? [] : store.eventsOfHour(hourMs, page[page.length - 1]!.seq, PAGE)) {
    const lines = page.map((e) => JSON.stringify(toUsageEventView(workspaceId, e))).join('\n') + '\n';
    await writer.write(encoder.encode(lines));
    count += page.length;
  }
  await writer.close();
  await env.USAGE_ARCHIVE.put(archiveKey(workspaceId, hourMs), await compressed, {
    httpMetadata: { contentType: 'application/x-ndjson', contentEncoding: 'gzip' },
    customMetadata: { workspaceId, hour: iso(hourMs), events: String(count) },
  });
  return count;
}
