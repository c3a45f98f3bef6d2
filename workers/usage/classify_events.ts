import { exactFromMicros, exactModel, hourOf, type Exact } from './exact_cost';
import { breachMessage, eventBreach, HourBudget } from './hour_budget';
import { eventLineKey, type OpenEventAmounts } from './open_usage';
import type { EventRow } from './roll_up';
import type { PriceBook, PriceVersion } from './pricing';
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
 * A request with a reused id and another body, an event its prices cannot cover, or an event that
 * would break an amount limit (amount_limits.ts: the event, its line of the hour, the hour's events,
 * the hour's tokens, counted over what the open hours hold and the group's accepted requests), is
 * refused whole; the rest of the group goes ahead.
 */
export function classifyEvents(
  requests: ReadonlyArray<readonly NormalizedEvent[]>,
  known: ReadonlyMap<string, string>,
  book: PriceBook,
  /** What the open hours hold already (the workspace's OpenUsage); its settled point bills late events. */
  open: OpenEventAmounts,
  /** Events that occurred before this (the retention window, or the workspace's creation) are refused. */
  earliestAcceptedMs: number,
): { outcomes: WaiterOutcome[]; byok: Set<string>; descriptions: Map<string, string> } {
  const seen = new Map<string, string>();
  const byok = new Set<string>();
  const descriptions = new Map<string, string>();
  const settledThroughMs = open.settledThroughMs;
  const groupBudget = new HourBudget(open);
  const outcomes = requests.map((events): WaiterOutcome => {
    const outcome: WaiterOutcome = { rows: [], duplicates: 0, exact: 0n };
    const budget = groupBudget.fork();
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
      // Usage reported for an hour already settled is billed in the first open hour, at the
      // prices of the moment it happened; a settled hour is never reopened.
      const hourMs = Math.max(hourOf(e.occurredAtMs), settledThroughMs);
      const parts = eventParts(e, prices);
      if (!parts) return refuse('invalid_request', `events: unknown model "${e.model}" (not in the price list in force at ${new Date(e.occurredAtMs).toISOString()}).`);
      if (e.type === 'charge') descriptions.set(e.id, e.description);
      const exact = parts.reduce((sum, p) => sum + p.exact, 0n);
      const lineKey = e.type === 'model' ? e.model : e.type === 'tool_execution' ? 'tools' : e.id;
      const kind = e.type === 'model' ? 'model' : e.type === 'tool_execution' ? 'tool' : 'charge';
      // Each field added in turn (the event so far, then its line and hour), so that a refusal
      // names the one that crosses a limit; a refused request's budget is dropped whole.
      let eventSoFar: Exact = 0n;
      for (const part of parts) {
        eventSoFar += part.exact;
        const breach = eventBreach(eventSoFar) ?? budget.add(hourMs, eventLineKey(kind, lineKey), part.exact, part.tokens);
        if (breach) return refuse('invalid_request', breachMessage(`events.${e.requestIndex}.${part.field}`, breach, hourMs));
      }
      if (e.type === 'model' && e.byok) byok.add(e.id);
      mine.set(e.id, e.requestHash);
      outcome.exact += exact;
      outcome.rows.push({
        eventId: e.id,
        requestHash: e.requestHash,
        hourMs,
        occurredAtMs: e.occurredAtMs,
        memberId: e.memberId,
        type: e.type,
        lineKey,
        inputTokens: e.inputTokens,
        outputTokens: e.outputTokens,
        amountMicros: e.amountMicros,
        priceVersion: prices.version,
      });
    }
    for (const [id, hash] of mine) seen.set(id, hash);
    budget.commit();
    return outcome;

    function refuse(code: 'idempotency_conflict' | 'invalid_request', message: string): WaiterOutcome {
      return { rows: [], duplicates: 0, exact: 0n, refusal: { code, message } };
    }
  });
  return { outcomes, byok, descriptions };
}

/** One event's amounts by the request field that carries them (the field a refusal names); null: a model its prices do not list. */
export function eventParts(e: NormalizedEvent, prices: PriceVersion): Array<{ field: string; exact: Exact; tokens: number }> | null {
  if (e.type === 'model') {
    const price = e.byok ? { input: 0, output: 0 } : prices.models.get(e.model);
    if (!price) return null;
    return [
      { field: 'inputTokens', exact: exactModel(e.inputTokens, price.input), tokens: e.inputTokens },
      { field: 'outputTokens', exact: exactModel(e.outputTokens, price.output), tokens: e.outputTokens },
    ];
  }
  if (e.type === 'tool_execution') return [{ field: 'type', exact: exactFromMicros(prices.pricing.toolExecution.microsPerExecution), tokens: 0 }];
  return [{ field: 'amountMicros', exact: exactFromMicros(e.amountMicros), tokens: 0 }];
}

/**
 * The per-event limit alone, which needs no state: the route checks it before any ledger object
 * is asked, so such a request records nothing in any workspace. Null when the event is within it.
 */
export function eventLimitRefusal(e: NormalizedEvent, prices: PriceVersion): string | null {
  let soFar: Exact = 0n;
  for (const part of eventParts(e, prices) ?? []) {
    soFar += part.exact;
    const breach = eventBreach(soFar);
    if (breach) return breachMessage(`events.${e.requestIndex}.${part.field}`, breach, hourOf(e.occurredAtMs));
  }
  return null;
}
