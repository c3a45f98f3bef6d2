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
  PositiveMicrosSchema,
  TransactionSchema,
  WorkspaceIdSchema,
} from '../../openapi/schemas';
import type { Router } from '../router';

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
  amountMicros: PositiveMicrosSchema.openapi({ description: 'The amount to take; all or nothing.', example: 1_000_000 }),
  description: DescriptionSchema,
});

export const createAdjustmentRoute = createRoute({
  method: 'post',
  path: '/internal/v1/adjustments',
  tags: ['internal'],
  summary: 'Grant or correct credits (idempotent by id)',
  security: [{ internalToken: [] }],
  request: { body: jsonBody(AdjustmentBody) },
  responses: { 201: jsonResponse('Recorded (or the original record, on a replay).', TransactionSchema), ...errorResponses(400, 401, 404, 409) },
});

export const createDeductionRoute = createRoute({
  method: 'post',
  path: '/internal/v1/deductions',
  tags: ['internal'],
  summary: 'Charge a resource, all or nothing (idempotent by id)',
  security: [{ internalToken: [] }],
  request: { body: jsonBody(DeductionBody) },
  responses: { 201: jsonResponse('Recorded (or the original record, on a replay).', TransactionSchema), ...errorResponses(400, 401, 402, 404, 409) },
});

async function post(env: Parameters<typeof ledgerFor>[0], input: PostEntryInput) {
  const { value, replayed } = unwrap(await ledgerFor(env, input.workspaceId).postEntry(input));
  return { value, headers: replayed ? { 'Idempotent-Replayed': 'true' } : undefined };
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
      const { value, headers } = await post(c.env, { ...body, kind: 'deduction' });
      return c.json(value, 201, headers);
    });
