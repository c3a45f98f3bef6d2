import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { ledgerFor } from '../ledger/ledger_stub';
import { hourOf, MS_PER_HOUR } from './exact_cost';
import { retentionCutoffMs, retentionDays } from './retention';
import { toUsageEventView, type UsageEventView } from './usage_event_view';

/**
 * A page of the raw events billed in one hour of a workspace, from its ledger object, while they
 * are inside the retention window (after it, the hour's events are in the R2 archive). The cursor
 * is the last event id of the previous page.
 */
export async function listUsageEvents(
  env: Env,
  input: { workspaceId: string; hourMs: number; cursor: string | undefined; limit: number; nowMs?: number },
): Promise<{ data: UsageEventView[]; nextCursor: string | null }> {
  const nowMs = input.nowMs ?? Date.now();
  if (input.hourMs + MS_PER_HOUR <= hourOf(retentionCutoffMs(env, nowMs))) {
    throw new ApiError('invalid_request', `hour: before the retention window (${retentionDays(env)} days); its events are in the usage archive.`);
  }
  const afterId = input.cursor ? decodeCursor(input.cursor) : '';
  const page = await ledgerFor(env, input.workspaceId).usageEvents(input.workspaceId, input.hourMs, afterId, input.limit + 1);
  if (!page.ok) throw new ApiError(page.code, page.message);
  const events = page.value.slice(0, input.limit);
  const more = page.value.length > input.limit;
  return {
    data: events.map((e) => toUsageEventView(input.workspaceId, e)),
    nextCursor: more ? encodeCursor(events[events.length - 1]!.eventId) : null,
  };
}

const encodeCursor = (eventId: string) => btoa(`e1:${eventId}`).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

function decodeCursor(cursor: string): string {
  try {
    const text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    if (text.startsWith('e1:')) return text.slice(3);
  } catch {
    // fall through
  }
  throw new ApiError('invalid_request', 'cursor: not a cursor this listing gave out.');
}
