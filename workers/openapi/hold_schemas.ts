// Holds and spend limits in /openapi.json: the request bodies that validate them and the shapes answered.
import { z } from '@hono/zod-openapi';
import { MAX_ENTRY_MICROS } from '../lib/money';
import { EX, transactionExample } from './examples';
import { DescriptionSchema, IdempotencyIdSchema, MemberIdSchema, PositiveMicrosSchema, TransactionSchema, WorkspaceIdSchema } from './schemas';

export const HOLD_TTL_DEFAULT_SECONDS = 900;
export const HOLD_TTL_MAX_SECONDS = 86_400;

export const holdExample = {
  id: 'stream-91ac',
  workspaceId: EX.workspaceId,
  memberId: EX.memberId,
  amountMicros: 250_000,
  status: 'held' as const,
  capturedMicros: null,
  transactionId: null,
  description: 'claude-sonnet-4 stream',
  expiresAt: '2026-11-21T10:15:00.000Z',
  createdAt: EX.createdAt,
};

export const HoldSchema = z
  .object({
    id: z.string().openapi({ description: 'The id the caller chose for the hold (also its idempotency key).', example: 'stream-91ac' }),
    workspaceId: z.string(),
    memberId: z.string().nullable(),
    amountMicros: z.int().openapi({ description: 'Micro-credits reserved while the hold is active.' }),
    status: z.enum(['held', 'captured', 'released', 'expired']).openapi({
      description: 'held: active, lowering balanceMicros. captured: charged (capturedMicros, transactionId). released: freed (a capture of 0 releases). expired: freed at expiresAt (still capturable).',
    }),
    capturedMicros: z.int().nullable().openapi({ description: 'What the capture charged (charged plus forgiven); 0 for a capture of 0; null otherwise.' }),
    transactionId: z.string().nullable().openapi({ description: 'The capture\'s `usage` transaction (txn_…); null until captured.' }),
    description: z.string().nullable(),
    expiresAt: z.string().openapi({ description: 'ISO-8601 UTC; the hold is released within 60 s after it.' }),
    createdAt: z.string(),
  })
  .openapi('Hold', { description: 'Credits reserved for work whose cost is not known yet.', example: holdExample });

export const CreateHoldBody = z.object({
  id: IdempotencyIdSchema.openapi({ description: 'Your id for the hold; also its idempotency key. Unique across workspaces.', example: 'stream-91ac' }),
  workspaceId: WorkspaceIdSchema,
  memberId: MemberIdSchema.optional().openapi({ description: 'The member the work is for: the hold counts against their spend limit.' }),
  amountMicros: PositiveMicrosSchema.openapi({ description: 'Micro-credits to reserve (> 0).', example: 250_000 }),
  ttlSeconds: z
    .int()
    .min(1)
    .max(HOLD_TTL_MAX_SECONDS)
    .optional()
    .openapi({ description: `Seconds until the hold expires (1–${HOLD_TTL_MAX_SECONDS}; default ${HOLD_TTL_DEFAULT_SECONDS}).`, example: 300 }),
  description: DescriptionSchema.optional().openapi({ description: 'Shown on the capture\'s transaction.', example: 'claude-sonnet-4 stream' }),
});

export const CaptureBody = z.object({
  amountMicros: z
    .int()
    .min(0)
    .max(MAX_ENTRY_MICROS)
    .openapi({ description: 'What the work cost, in micros (≥ 0; 0 releases). May exceed the hold: the excess is charged as far as the balance covers it, the rest forgiven.', example: 187_400 }),
  workspaceId: WorkspaceIdSchema.optional().openapi({ description: 'Optional: when sent, a hold of another workspace is a 404.' }),
});

export const ReleaseBody = z.object({
  workspaceId: WorkspaceIdSchema.optional().openapi({ description: 'Optional: when sent, a hold of another workspace is a 404.' }),
});

export const CaptureAnswerSchema = z
  .object({
    hold: HoldSchema,
    transaction: TransactionSchema
      .nullable()
      .openapi({ description: 'The `usage` transaction (`completed`) the capture recorded; null for a capture of 0.' }),
  })
  .openapi('HoldCapture');

export const captureExample = {
  hold: { ...holdExample, status: 'captured' as const, capturedMicros: 187_400, transactionId: EX.transactionId },
  transaction: { ...transactionExample, description: 'claude-sonnet-4 stream', amountMicros: -187_400, balanceAfterMicros: 18_547_100 },
};

// --- spend limits ---------------------------------------------------------------------------------

export const spendLimitExample = {
  memberId: EX.memberId,
  limitMicros: 20_000_000,
  period: 'day' as const,
  spentMicros: 4_312_800,
  heldMicros: 250_000,
  remainingMicros: 15_437_200,
  resetsAt: '2026-11-22T00:00:00.000Z',
};

export const SpendLimitSchema = z
  .object({
    memberId: z.string(),
    limitMicros: z.int().openapi({ description: 'What the member may spend per period, in micros.' }),
    period: z.enum(['day', 'month']).openapi({ description: 'UTC day, or calendar month (UTC).' }),
    spentMicros: z.int().openapi({ description: 'Spent this period: settled and accumulating usage attributed to the member, deductions and captures with their memberId.' }),
    heldMicros: z.int().openapi({ description: 'The member\'s active holds.' }),
    remainingMicros: z.int().openapi({ description: 'limitMicros − spentMicros − heldMicros, never below 0.' }),
    resetsAt: z.string().openapi({ description: 'ISO-8601 UTC: the start of the next period.' }),
  })
  .openapi('SpendLimit', { description: 'A member\'s spend limit and their spend in the current period.', example: spendLimitExample });

export const SpendLimitBody = z.object({
  limitMicros: PositiveMicrosSchema.openapi({ description: 'Micro-credits per period (> 0).', example: 20_000_000 }),
  period: z.enum(['day', 'month']).openapi({ description: 'day: per UTC day. month: per calendar month (UTC).' }),
});
