import { exactFromMicros, exactModel, hourOf, type Exact } from './exact_cost';
import { breachMessage, eventBreach, HourBudget } from './hour_budget';
import type { OpenEventAmounts } from './open_usage';
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
    const added: NormalizedEvent[] = [];
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
      let exact: Exact;
      if (e.type === 'model') {
        const price = e.byok ? NO_PRICE : prices.models.get(e.model);
        if (!price) return refuse('invalid_request', `events: unknown model "${e.model}" (not in the price list in force at ${new Date(e.occurredAtMs).toISOString()}).`);
        exact = exactModel(e.inputTokens, price.input) + exactModel(e.outputTokens, price.output);
      } else if (e.type === 'tool_execution') {
        exact = exactFromMicros(prices.pricing.toolExecution.microsPerExecution);
      } else {
        exact = exactFromMicros(e.amountMicros);
        descriptions.set(e.id, e.description);
      }
      // The event's own limit (a list stored before the price bounds may break it); its line and
      // hour are checked once for the whole request, below.
      if (eventBreach(exact)) return refuse('invalid_request', eventLimitRefusal(e, prices)!);
      const lineKey = e.type === 'model' ? e.model : e.type === 'tool_execution' ? 'tools' : e.id;
      budget.add(hourMs, KIND[e.type], lineKey, exact, e.inputTokens + e.outputTokens);
      added.push(e);
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
    // The line, hour and token limits over everything the request adds; only a request that
    // breaks one is gone through again, event by event, to name the field that crosses it.
    const over = budget.breach();
    if (over) return refuse('invalid_request', locateBreach(groupBudget, added, book, settledThroughMs) ?? breachMessage('events', over.breach, over.hourMs));
    for (const [id, hash] of mine) seen.set(id, hash);
    budget.commit();
    return outcome;

    function refuse(code: 'idempotency_conflict' | 'invalid_request', message: string): WaiterOutcome {
      return { rows: [], duplicates: 0, exact: 0n, refusal: { code, message } };
    }
  });
  return { outcomes, byok, descriptions };
}

const NO_PRICE = { input: 0, output: 0 };
/** An event's line kind (byok or not, a model's events are one line). */
const KIND = { model: 'model', tool_execution: 'tool', charge: 'charge' } as const;

/**
 * The refusal of the first field of the request's `added` events that takes its line or hour past
 * a limit, replayed on the group's budget field by field (only for a request already found over).
 */
function locateBreach(groupBudget: HourBudget, added: readonly NormalizedEvent[], book: PriceBook, settledThroughMs: number): string | null {
  const replay = groupBudget.fork();
  for (const e of added) {
    const hourMs = Math.max(hourOf(e.occurredAtMs), settledThroughMs);
    const lineKey = e.type === 'model' ? e.model : e.type === 'tool_execution' ? 'tools' : e.id;
    for (const part of eventParts(e, book.at(e.occurredAtMs)) ?? []) {
      replay.add(hourMs, KIND[e.type], lineKey, part.exact, part.tokens);
      const over = replay.breach();
      if (over) return breachMessage(`events.${e.requestIndex}.${part.field}`, over.breach, over.hourMs);
    }
  }
  return null;
}

interface EventPart {
  field: string;
  exact: Exact;
  tokens: number;
}

/** One event's amounts by the request field that carries them (the field a refusal names); null: a model its prices do not list. */
export function eventParts(e: NormalizedEvent, prices: PriceVersion): EventPart[] | null {
  if (e.type === 'model') {
    const price = e.byok ? NO_PRICE : prices.models.get(e.model);
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
  // The common case without a field list: the whole event within the limit.
  if (e.type === 'charge' || e.type === 'tool_execution' || e.byok) {
    const exact = e.type === 'charge' ? exactFromMicros(e.amountMicros) : e.type === 'tool_execution' ? exactFromMicros(prices.pricing.toolExecution.microsPerExecution) : 0n;
    if (!eventBreach(exact)) return null;
  } else {
    const price = prices.models.get(e.model);
    if (!price || !eventBreach(exactModel(e.inputTokens, price.input) + exactModel(e.outputTokens, price.output))) return null;
  }
  let soFar: Exact = 0n;
  for (const part of eventParts(e, prices) ?? []) {
    soFar += part.exact;
    const breach = eventBreach(soFar);
    if (breach) return breachMessage(`events.${e.requestIndex}.${part.field}`, breach, hourOf(e.occurredAtMs));
  }
  return null;
}
