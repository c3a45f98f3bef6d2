import { createRoute, z } from '@hono/zod-openapi';
import { unwrap } from '../../ledger/ledger_result';
import { decideNearCaller } from '../../regions/near_caller';
import { DECIDED_IN_HEADER } from '../../regions/caller_region';
import { MAX_ENTRY_MICROS } from '../../lib/money';
import { errorResponses, jsonResponse, MemberIdSchema, queryInt, WorkspaceIdSchema } from '../../openapi/schemas';
import { assertTenants } from '../../usage/known_tenants';
import type { Router } from '../router';

const Answer = z
  .object({
    allowed: z.boolean().openapi({ description: 'true when the spendable balance is positive and covers amountMicros.' }),
    balanceMicros: z.int().openapi({ description: 'The spendable balance now, in micros (settled balance minus the open hour\'s usage, minus active holds).' }),
    reason: z
      .enum(['insufficient_credits', 'spend_limit'])
      .optional()
      .openapi({ description: 'When not allowed: the balance cannot cover the amount, or it would pass the member\'s spend limit.' }),
  })
  .openapi('CreditCheck', { example: { allowed: true, balanceMicros: 18_734_500 } });

export const creditCheckRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/credit-check',
  operationId: 'checkCredit',
  tags: ['Credits'],
  summary: 'Can the workspace spend this much now?',
  description:
    'Answered from the workspace ledger\'s memory, for the hot path before starting work: active holds are not spendable, and with `memberId` the member\'s spend limit applies. Records nothing; a later deduction may still be refused.',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    query: z.object({
      amountMicros: queryInt(0, MAX_ENTRY_MICROS).openapi({ type: 'integer', minimum: 0, maximum: MAX_ENTRY_MICROS, description: 'The amount about to be spent, in micros (0 asks only whether the balance is positive).', example: 250000 }),
      memberId: MemberIdSchema.optional().openapi({ description: 'The member the spend is for: their spend limit applies too (reason `spend_limit`).' }),
    }),
  },
  responses: {
    200: jsonResponse('allowed is true when the balance is positive and covers the amount.', Answer, { allowed: true, balanceMicros: 18_734_500 }),
    ...errorResponses(['invalid_request', 'amountMicros: must be a whole number'], 'unauthenticated', 'not_found'),
  },
});

export const registerCreditCheck = (app: Router) =>
  app.openapi(creditCheckRoute, async (c) => {
    const { ws } = c.req.valid('param');
    const { amountMicros, memberId } = c.req.valid('query');
    if (memberId) await assertTenants(c.env, [{ workspaceId: ws, memberId, path: '' }], 'invalid_request');
    const { result, decidedIn } = await decideNearCaller(
      c.env,
      c.req.raw,
      ws,
      (ledger) => ledger.creditCheck(ws, amountMicros, memberId),
      (regional, where) => regional.creditCheck(where, amountMicros, memberId ?? null),
    );
    c.header(DECIDED_IN_HEADER, decidedIn); // on refusals too (the error handler keeps it)
    const { value } = unwrap(result);
    return c.json(value, 200);
  });
