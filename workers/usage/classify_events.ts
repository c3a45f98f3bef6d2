import { exactFromMicros, exactModel, hourOf, type Exact } from './exact_cost';
import type { EventRow } from './roll_up';
import type { PriceBook } from './pricing';
import type { NormalizedEvent } from './usage_event';

export interface WaiterOutcome {
  rows: EventRow[];
  duplicates: number;
  exact: Exact;
  /** Set when the waiter's request must be refused whole (nothing of it is written). */
  refusal?: { code: 'idempotency_conflict' | 'invalid_request'; message: string };
}

/**
 * Sorts the events of every request in a group into new rows and duplicates, against what is
 * already stored (`known`: event id → request hash) and against earlier requests of the group.
 * A request with a reused id and another body, or an event its prices cannot cover, is refused
 * whole; the rest of the group goes ahead.
 */
export function classifyEvents(
  requests: ReadonlyArray<readonly NormalizedEvent[]>,
  known: ReadonlyMap<string, string>,
  book: PriceBook,
  settledThroughMs: number,
  /** Events that occurred before this (the retention window, or the workspace's creation) are refused. */
  earliestAcceptedMs: number,
): { outcomes: WaiterOutcome[]; byok: Set<string>; descriptions: Map<string, string> } {
  const seen = new Map<string, string>();
  const byok = new Set<string>();
  const descriptions = new Map<string, string>();
  const outcomes = requests.map((events): WaiterOutcome => {
    const outcome: WaiterOutcome = { rows: [], duplicates: 0, exact: 0n };
    const mine = new Map<string, string>();
    for (const e of events) {
      if (e.occurredAtMs < earliestAcceptedMs) {
        return refuse('invalid_request', `events: the event "${e.id}" occurred at ${new Date(e.occurredAtMs).toISOString()}, before ${new Date(earliestAcceptedMs).toISOString()}: outside the retention window or before the workspace existed.`);
      }
      const earlier = mine.get(e.id) ?? seen.get(e.id) ?? known.get(e.id);
      if (earlier !== undefined) {
        if (earlier !== e.requestHash) {
          return refuse('idempotency_conflict', `events: the id "${e.id}" was already used with a different event.`);
        }
        outcome.duplicates += 1;
        continue;
      }
      const prices = book.at(e.occurredAtMs);
      let exact: Exact = 0n;
      if (e.type === 'model' && !e.byok) {
        const price = prices.models.get(e.model);
        if (!price) return refuse('invalid_request', `events: unknown model "${e.model}" (not in the price list in force at ${new Date(e.occurredAtMs).toISOString()}).`);
        exact = exactModel(e.inputTokens, price.input) + exactModel(e.outputTokens, price.output);
      } else if (e.type === 'tool_execution') {
        exact = exactFromMicros(prices.pricing.toolExecution.microsPerExecution);
      } else if (e.type === 'charge') {
        exact = exactFromMicros(e.amountMicros);
        descriptions.set(e.id, e.description);
      }
      if (e.type === 'model' && e.byok) byok.add(e.id);
      mine.set(e.id, e.requestHash);
      outcome.exact += exact;
      outcome.rows.push({
        eventId: e.id,
        requestHash: e.requestHash,
        // Usage reported for an hour already settled is billed in the first open hour, at the
        // prices of the moment it happened; a settled hour is never reopened.
        hourMs: Math.max(hourOf(e.occurredAtMs), settledThroughMs),
        occurredAtMs: e.occurredAtMs,
        memberId: e.memberId,
        type: e.type,
        lineKey: e.type === 'model' ? e.model : e.type === 'tool_execution' ? 'tools' : e.id,
        inputTokens: e.inputTokens,
        outputTokens: e.outputTokens,
        amountMicros: e.amountMicros,
        priceVersion: prices.version,
      });
    }
    for (const [id, hash] of mine) seen.set(id, hash);
    return outcome;

    function refuse(code: 'idempotency_conflict' | 'invalid_request', message: string): WaiterOutcome {
      return { rows: [], duplicates: 0, exact: 0n, refusal: { code, message } };
    }
  });
  return { outcomes, byok, descriptions };
}
