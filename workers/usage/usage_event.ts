import { z } from '@hono/zod-openapi';
import { fingerprint128 } from '../lib/fingerprint';
import { plainText } from '../openapi/plain_text';
import { MAX_TOKENS_PER_EVENT } from './amount_limits';
import { DescriptionSchema, IdempotencyIdSchema, MemberIdSchema, PositiveMicrosSchema, WorkspaceIdSchema } from '../openapi/schemas';

const TokenCount = z.int().min(0).max(MAX_TOKENS_PER_EVENT);

export const UsageEventSchema = z
  .object({
    id: IdempotencyIdSchema.openapi({ description: 'Idempotency key of the event, unique per workspace.' }),
    workspaceId: WorkspaceIdSchema,
    memberId: MemberIdSchema.optional(),
    occurredAt: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Defaults to the time of receipt.' }),
    type: z.enum(['model', 'tool_execution', 'charge']),
    model: plainText().min(1).max(100).optional(),
    inputTokens: TokenCount.optional(),
    outputTokens: TokenCount.optional(),
    byok: z.boolean().optional().openapi({ description: 'Customer-provided key: tokens count, cost is 0.' }),
    amountMicros: PositiveMicrosSchema.optional(),
    description: DescriptionSchema.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.type === 'model' && !e.model) ctx.addIssue({ code: 'custom', path: ['model'], message: 'required for a model event' });
    if (e.type === 'charge' && e.amountMicros === undefined) {
      ctx.addIssue({ code: 'custom', path: ['amountMicros'], message: 'required for a charge event' });
    }
  })
  .openapi('UsageEvent');

export type UsageEvent = z.infer<typeof UsageEventSchema>;

/** An event as the ledger object takes it: validated, timestamped, fingerprinted. */
export interface NormalizedEvent {
  id: string;
  /** Its place in the request's `events`, for the field a refusal names (`events.3.inputTokens`). */
  requestIndex: number;
  requestHash: string;
  memberId: string;
  occurredAtMs: number;
  type: 'model' | 'tool_execution' | 'charge';
  byok: boolean;
  model: string;
  inputTokens: number;
  outputTokens: number;
  amountMicros: number;
  description: string;
}

/**
 * The event's fields in sorted order, as `canonicalJson` (lib/crypto.ts) writes any object: the
 * same text, so the fingerprints of events stored before it stay valid. Spelled out because it runs
 * for every event on the ingestion hot path, where the generic walk (entries, filter, sort, one
 * string per key) was 5–6% of the isolate's CPU. A parsed event holds only the schema's keys, all
 * of them strings, numbers or booleans; `usage_event.test.ts` holds it to `canonicalJson` and to
 * the schema's keys.
 */
export const CANONICAL_EVENT_KEYS = ['amountMicros', 'byok', 'description', 'id', 'inputTokens', 'memberId', 'model', 'occurredAt', 'outputTokens', 'type', 'workspaceId'] as const;

export function canonicalEventJson(e: UsageEvent): string {
  let text = '{';
  for (const key of CANONICAL_EVENT_KEYS) {
    const value = e[key];
    if (value === undefined) continue;
    if (text.length > 1) text += ',';
    text += `"${key}":${JSON.stringify(value)}`;
  }
  return text + '}';
}

export function normalizeEvent(e: UsageEvent, receivedAtMs: number, requestIndex: number): NormalizedEvent {
  const canonical = canonicalEventJson(e);
  return {
    id: e.id,
    requestIndex,
    // The fingerprint covers what the caller sent, so a retry with the same body is a duplicate and
    // the same id with another body is a conflict, whatever the defaults resolve to.
    requestHash: fingerprint128(canonical),
    memberId: e.memberId ?? '',
    occurredAtMs: e.occurredAt ? Date.parse(e.occurredAt) : receivedAtMs,
    type: e.type,
    byok: e.byok ?? false,
    model: e.model ?? '',
    inputTokens: e.inputTokens ?? 0,
    outputTokens: e.outputTokens ?? 0,
    amountMicros: e.amountMicros ?? 0,
    description: e.description ?? (e.type === 'charge' ? 'Charge' : ''),
  };
}
