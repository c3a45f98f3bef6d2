import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../errors/api_error';
import { isInFuture } from '../../lib/time';
import { ledgerFor } from '../../ledger/ledger_stub';
import type { LedgerFailure } from '../../ledger/ledger_result';
import { EX } from '../../openapi/examples';
import { errorResponses, jsonBody, jsonResponse } from '../../openapi/schemas';
import { eventLimitRefusal } from '../../usage/classify_events';
import { assertTenants } from '../../usage/known_tenants';
import { workerPriceBook } from '../../usage/price_cache';
import { retentionCutoffMs, retentionDays } from '../../usage/retention';
import { normalizeEvent, UsageEventSchema, type NormalizedEvent } from '../../usage/usage_event';
import type { Router } from '../router';

const Body = z.object({ events: z.array(UsageEventSchema).min(1).max(1000) });
const Answer = z
  .object({
    accepted: z.int().openapi({ description: 'Events recorded now.' }),
    duplicates: z.int().openapi({ description: 'Events whose id was already recorded with the same body.' }),
    costMicros: z.int().openapi({
      description: "Cost of the accepted events, exact then rounded once per workspace. Settlement rounds once per line of each hour, so a sum of these answers can differ from the hour's charge by a few micros.",
    }),
  })
  .openapi('UsageAccepted', { example: { accepted: 3, duplicates: 0, costMicros: 9_850 } });

export const recordUsageRoute = createRoute({
  method: 'post',
  path: '/internal/v1/usage',
  operationId: 'recordUsage',
  tags: ['Usage'],
  summary: 'Record usage events (1–1000, any workspaces)',
  description: [
    'Event types: `model` (tokens of a model; `byok: true` counts tokens at cost 0), `tool_execution`, and `charge` (`amountMicros`, a one-off amount). Usage is charged at hourly settlement with the prices in force when it occurred.',
    'The whole request is validated before anything is written: an unknown workspace, member or model, a time in the future, before the workspace existed or older than the retention window (`USAGE_EVENT_RETENTION_DAYS`, default 35 days), is a 4xx with nothing recorded. Answered only once durable (in the workspace\'s ledger object\'s own storage).',
    '**Amount limits** (every amount stays an exact integer): one event costs at most 1,000,000 credits (10^12 micros); an event that would take its line of an open hour (a model, the tool executions, a charge) past 2,000,000 credits, the workspace\'s usage events of that hour past 5,000,000 credits, or their tokens past 10^12, is a 400 naming the event\'s field (`events.3.inputTokens`), with nothing of the workspace\'s events recorded.',
    '**Idempotency:** per event `id` within its workspace, for as long as the event is inside the retention window: an event already recorded with the same body counts as a duplicate; with another body the request is 409. Resending a whole request is always safe.',
  ].join(' '),
  security: [{ internalToken: [] }],
  request: {
    body: jsonBody(Body, {
      events: [
        { id: 'llm-call-5f1e9a', workspaceId: EX.workspaceId, memberId: EX.memberId, occurredAt: '2026-11-21T10:41:58.000Z', type: 'model', model: 'claude-sonnet-4', inputTokens: 1200, outputTokens: 350 },
        { id: 'tool-run-5f1e9b', workspaceId: EX.workspaceId, memberId: EX.memberId, type: 'tool_execution' },
        { id: 'byok-call-5f1e9c', workspaceId: EX.workspaceId, type: 'model', model: 'gpt-4o', inputTokens: 800, outputTokens: 120, byok: true },
      ],
    }),
  },
  responses: {
    200: jsonResponse('Recorded.', Answer, { accepted: 3, duplicates: 0, costMicros: 9_850 }),
    ...errorResponses(
      ['invalid_request', 'events.0.model: unknown model "claude-sonnet-9" (see GET /internal/v1/pricing).'],
      'unauthenticated',
      ['not_found', 'events.0.workspaceId: no such workspace.'],
      ['idempotency_conflict', 'events: the id "llm-call-5f1e9a" was already used with a different event.'],
    ),
  },
});

export const registerUsageRoutes = (app: Router) =>
  app.openapi(recordUsageRoute, async (c) => {
    const { events } = c.req.valid('json');
    const nowMs = Date.now();
    const createdAtMs = await assertTenants(c.env, events.map((e, i) => ({ workspaceId: e.workspaceId, memberId: e.memberId, path: `events.${i}` })));
    const windowStartMs = retentionCutoffMs(c.env, nowMs);

    let book = await workerPriceBook(c.env);
    const byWorkspace = new Map<string, NormalizedEvent[]>();
    for (const [i, e] of events.entries()) {
      const n = normalizeEvent(e, nowMs, i);
      if (isInFuture(n.occurredAtMs, nowMs)) throw new ApiError('invalid_request', `events.${i}.occurredAt: must not be in the future.`);
      if (n.occurredAtMs < windowStartMs) {
        throw new ApiError('invalid_request', `events.${i}.occurredAt: older than the retention window (${retentionDays(c.env)} days); such events can no longer be deduplicated, so they are refused.`);
      }
      if (n.occurredAtMs < (createdAtMs.get(e.workspaceId) ?? 0)) throw new ApiError('invalid_request', `events.${i}.occurredAt: before the workspace was created.`);
      if (n.type === 'model' && !n.byok && !book.at(n.occurredAtMs).models.has(n.model)) {
        book = await workerPriceBook(c.env, true);
        if (!book.at(n.occurredAtMs).models.has(n.model)) {
          throw new ApiError('invalid_request', `events.${i}.model: unknown model "${n.model}" (see GET /internal/v1/pricing).`);
        }
      }
      // The per-event limit needs no ledger state: refused here, nothing of the request is recorded
      // in any workspace. (Each ledger object checks it again, with the lines and hours it holds.)
      const overLimit = eventLimitRefusal(n, book.at(n.occurredAtMs));
      if (overLimit) throw new ApiError('invalid_request', overLimit);
      const list = byWorkspace.get(e.workspaceId) ?? [];
      list.push(n);
      byWorkspace.set(e.workspaceId, list);
    }

    const results = await Promise.all([...byWorkspace].map(([ws, list]) => ledgerFor(c.env, ws).ingest(ws, list, book.latestVersion)));
    const total = { accepted: 0, duplicates: 0, costMicros: 0 };
    let refusal: Pick<LedgerFailure, 'code' | 'message'> | null = null;
    for (const r of results) {
      if (!r.ok) {
        refusal ??= r;
        continue;
      }
      total.accepted += r.value.accepted;
      total.duplicates += r.value.duplicates;
      total.costMicros += r.value.costMicros;
    }
    if (refusal) {
      const others = total.accepted > 0 ? ` Events of other workspaces in this request were recorded (${total.accepted}); resending the request is safe.` : '';
      throw new ApiError(refusal.code, refusal.message + others);
    }
    return c.json(total, 200);
  });
