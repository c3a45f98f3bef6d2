import { createRoute, z } from '@hono/zod-openapi';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import type { PostEntryInput } from '../../ledger/ledger_types';
import { MAX_ENTRY_MICROS } from '../../lib/money';
import {
  DescriptionSchema,
  errorResponses,
  IdempotencyIdSchema,
  jsonBody,
  jsonResponse,
  MemberIdSchema,
  PositiveMicrosSchema,
  TransactionSchema,
  WorkspaceIdSchema,
} from '../../openapi/schemas';
import { EX, transactionExample } from '../../openapi/examples';
import type { Router } from '../router';
import { replayedHeaders } from '../../http/idempotent_replayed';
import { callerKey } from '../../ledger/caller_keys';
import { assertTenants } from '../../usage/known_tenants';
import { decideNearCaller } from '../../regions/near_caller';
import { DECIDED_IN_HEADER } from '../../regions/caller_region';

const AdjustmentBody = z.object({
  id: IdempotencyIdSchema,
  workspaceId: WorkspaceIdSchema,
  amountMicros: z
    .int()
    .min(-MAX_ENTRY_MICROS)
    .max(MAX_ENTRY_MICROS)
    .refine((n) => n !== 0, 'must not be zero')
    .openapi({ description: 'Positive: a grant. Negative: a correction, applied down to a zero balance at most.', example: 5_000_000 }),
  description: DescriptionSchema,
});

const DeductionBody = z.object({
  id: IdempotencyIdSchema,
  workspaceId: WorkspaceIdSchema,
  memberId: MemberIdSchema.optional().openapi({ description: 'The member the charge is for: shown in their usage, and counted against their spend limit (402 `spend_limit_exceeded` past it).' }),
  amountMicros: PositiveMicrosSchema.openapi({ description: 'The amount to take; all or nothing.', example: 1_000_000 }),
  description: DescriptionSchema,
});

export const createAdjustmentRoute = createRoute({
  method: 'post',
  path: '/internal/v1/adjustments',
  operationId: 'createAdjustment',
  tags: ['Credits'],
  summary: 'Grant or correct credits',
  description:
    'Records an `adjustment` transaction (`completed`). A positive amount is a grant; a negative one a correction, which takes at most what the balance can give (the rest is `forgivenMicros`, never a debt). **Idempotency:** by `id`: the same id and body answers the original transaction (header `Idempotent-Replayed: true`); the same id with another body is 409.',
  security: [{ internalToken: [] }],
  request: { body: jsonBody(AdjustmentBody, { id: 'welcome-grant-acme', workspaceId: EX.workspaceId, amountMicros: 5_000_000, description: 'Welcome credits' }) },
  responses: {
    201: jsonResponse('Recorded (or the original record, on a replay).', TransactionSchema, {
      ...transactionExample,
      type: 'adjustment',
      description: 'Welcome credits',
      amountMicros: 5_000_000,
      balanceAfterMicros: 23_734_500,
    }),
    ...errorResponses(
      ['invalid_request', 'amountMicros: must not be zero'],
      'unauthenticated',
      'not_found',
      ['idempotency_conflict', 'The id "welcome-grant-acme" was already used with a different request.'],
    ),
  },
});

export const createDeductionRoute = createRoute({
  method: 'post',
  path: '/internal/v1/deductions',
  operationId: 'createDeduction',
  tags: ['Credits'],
  summary: 'Charge a resource, all or nothing',
  description:
    'Records a `usage` transaction (`completed`) right away, shown in my-usage as a resource charge. When the spendable balance (less active holds) cannot cover the whole amount the answer is 402 and nothing is recorded; with a `memberId` past their spend limit, 402 `spend_limit_exceeded`. **Idempotency:** by `id`: the same id and body answers the original transaction (header `Idempotent-Replayed: true`), even if the balance has since dropped; the same id with another body is 409.',
  security: [{ internalToken: [] }],
  request: { body: jsonBody(DeductionBody, { id: 'snapshot-export-8812', workspaceId: EX.workspaceId, amountMicros: 500_000, description: 'GPU snapshot export' }) },
  responses: {
    201: jsonResponse('Recorded (or the original record, on a replay).', TransactionSchema, {
      ...transactionExample,
      description: 'GPU snapshot export',
      amountMicros: -500_000,
      balanceAfterMicros: 18_234_500,
    }),
    ...errorResponses(
      ['invalid_request', 'amountMicros: Too small: expected number to be >=1'],
      'unauthenticated',
      ['insufficient_credits', 'The balance (312000 micros) cannot cover 500000 micros.'],
      'spend_limit_exceeded',
      'not_found',
      ['idempotency_conflict', 'The id "snapshot-export-8812" was already used with a different request.'],
    ),
  },
});

async function post(env: Parameters<typeof ledgerFor>[0], input: PostEntryInput) {
  // The caller's id is its idempotency key, kept apart from the ledger's own keys.
  const { value, replayed } = unwrap(await ledgerFor(env, input.workspaceId).postEntry({ ...input, id: callerKey(input.id) }));
  return { value, headers: replayedHeaders(replayed) };
}

export const registerLedgerEntryRoutes = (app: Router) =>
  app
    .openapi(createAdjustmentRoute, async (c) => {
      const body = c.req.valid('json');
      const { value, headers } = await post(c.env, { ...body, kind: 'adjustment' });
      return c.json(value, 201, headers);
    })
    .openapi(createDeductionRoute, async (c) => {
      const body = c.req.valid('json');
      if (body.memberId) await assertTenants(c.env, [{ workspaceId: body.workspaceId, memberId: body.memberId, path: '' }], 'invalid_request');
      // Decided near the caller while its region's lease covers it (workers/regions/), else at home.
      const key = callerKey(body.id);
      const { result, decidedIn } = await decideNearCaller(
        c.env,
        c.req.raw,
        body.workspaceId,
        (ledger) => ledger.postEntry({ ...body, id: key, kind: 'deduction' }),
        (regional, where) => regional.deduct(where, { id: body.id, amountMicros: body.amountMicros, description: body.description, memberId: body.memberId ?? null }),
      );
      c.header(DECIDED_IN_HEADER, decidedIn); // on refusals too (the error handler keeps it)
      const { value, replayed } = unwrap(result);
      return c.json(value, 201, replayedHeaders(replayed));
    });
