import { createRoute, z } from '@hono/zod-openapi';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { MAX_ENTRY_MICROS } from '../../lib/money';
import { errorResponses, jsonResponse, queryInt, WorkspaceIdSchema } from '../../openapi/schemas';
import type { Router } from '../router';

const Answer = z.object({ allowed: z.boolean(), balanceMicros: z.int() }).openapi('CreditCheck');

export const creditCheckRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/credit-check',
  tags: ['internal'],
  summary: 'Can the workspace spend this much now? Answered from memory, on the hot path.',
  security: [{ internalToken: [] }],
  request: {
    params: z.object({ ws: WorkspaceIdSchema }),
    query: z.object({ amountMicros: queryInt(0, MAX_ENTRY_MICROS).openapi({ type: 'integer', example: 250000 }) }),
  },
  responses: { 200: jsonResponse('allowed is true when the balance is positive and covers the amount.', Answer), ...errorResponses(400, 401, 404) },
});

export const registerCreditCheck = (app: Router) =>
  app.openapi(creditCheckRoute, async (c) => {
    const { ws } = c.req.valid('param');
    const { amountMicros } = c.req.valid('query');
    const { value } = unwrap(await ledgerFor(c.env, ws).creditCheck(ws, amountMicros));
    return c.json(value, 200);
  });
