import { iso } from '../lib/time';
import type { StoredEvent } from '../ledger/usage/event_store';

/** A stored event as the audit listing and the R2 archive show it: the shape it was reported in. */
export interface UsageEventView {
  id: string;
  workspaceId: string;
  memberId?: string;
  occurredAt: string;
  /** The hour the event was billed in: its own, or the first open hour when it was reported late. */
  billedHour: string;
  type: StoredEvent['type'];
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  byok?: boolean;
  amountMicros?: number;
  description?: string;
}

export function toUsageEventView(workspaceId: string, e: StoredEvent): UsageEventView {
  const view: UsageEventView = { id: e.eventId, workspaceId, occurredAt: iso(e.occurredAtMs), billedHour: iso(e.hourMs), type: e.type };
  if (e.memberId) view.memberId = e.memberId;
  if (e.type === 'model') {
    view.model = e.model ?? '';
    view.inputTokens = e.inputTokens;
    view.outputTokens = e.outputTokens;
    if (e.byok) view.byok = true;
  }
  if (e.type === 'charge') {
    view.amountMicros = e.amountMicros;
    if (e.description) view.description = e.description;
  }
  return view;
}
