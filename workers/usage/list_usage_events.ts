import type { Env } from '../env';
import { ApiError } from '../errors/api_error';
import { ledgerFor } from '../ledger/ledger_stub';
import { hourOf, MS_PER_HOUR } from './exact_cost';
import { retentionCutoffMs, retentionDays } from './retention';
import { toUsageEventView, type UsageEventView } from './usage_event_view';

/**
 * A page of the raw events billed in one hour of a workspace, from its ledger object, while they
 * are inside the retention window (after it, the hour's events are in the R2 archive), in the order
 * the object stored them. The cursor is where the previous page ended in that order.
 */
export async function listUsageEvents(
  env: Env,
  input: { workspaceId: string; hourMs: number; cursor: string | undefined; limit: number; nowMs?: number },
): Promise<{ data: UsageEventView[]; nextCursor: string | null }> {
  const nowMs = input.nowMs ?? Date.now();
  if (input.hourMs + MS_PER_HOUR <= hourOf(retentionCutoffMs(env, nowMs))) {
    throw new ApiError('invalid_request', `hour: before the retention window (${retentionDays(env)} days); its events are in the usage archive.`);
  }
  const afterSeq = input.cursor ? decodeCursor(input.cursor) : 0;
  const page = await ledgerFor(env, input.workspaceId).usageEvents(input.workspaceId, input.hourMs, afterSeq, input.limit + 1);
  if (!page.ok) throw new ApiError(page.code, page.message);
  const events = page.value.slice(0, input.limit);
  const more = page.value.length > input.limit;
  return {
    data: events.map((e) => toUsageEventView(input.workspaceId, e)),
    nextCursor: more ? encodeCursor(events[events.length - 1]!.seq) : null,
  };
}

const encodeCursor = (seq: number) => btoa(`e2:${seq}`).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

function decodeCursor(cursor: string): number {
  try {
    const text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    const seq = /^e2:(\d{1,15})$/.exec(text)?.[1];
    if (seq !== undefined) return Number(seq);
  } catch {
    // fall through
  }
  throw new ApiError('invalid_request', 'cursor: not a cursor this listing gave out.');
}
