import { createRoute, z } from '@hono/zod-openapi';
import { creditCategories } from '../../../schema/tables';
import { DEFAULT_PRIORITY } from '../../ledger/rules/blocks/credit_block';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { creditBlockExample, EX, transactionExample } from '../../openapi/examples';
import {
  CreditBlockSchema,
  DescriptionSchema,
  errorResponses,
  IdempotencyIdSchema,
  jsonBody,
  jsonResponse,
  PositiveMicrosSchema,
  TransactionSchema,
  WorkspaceIdSchema,
} from '../../openapi/schemas';
import { claimGrantId, grantWorkspaceId } from '../../tenancy/grant_workspace';
import { assertTenants } from '../../usage/known_tenants';
import type { Router } from '../router';

const GrantBody = z.object({
  id: IdempotencyIdSchema.openapi({ description: 'Your id for the grant: its idempotency key, and what a void names.', example: 'welcome-acme' }),
  workspaceId: WorkspaceIdSchema,
  amountMicros: PositiveMicrosSchema.openapi({ description: 'The credit granted, in micros (positive).', example: 20_000_000 }),
  description: DescriptionSchema,
  category: z.enum(creditCategories).optional().openapi({ description: 'Default `promotional`. Refunds and disputes never take promotional credit.' }),
  priority: z.int().min(0).max(100).optional().openapi({ description: '0–100, default 50: blocks with a lower priority are spent first.' }),
  expiresAt: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'ISO-8601, in the future. What is left then expires (an `expiration` transaction). Default: never.' }),
});

const BlockAndTransaction = z.object({ block: CreditBlockSchema, transaction: TransactionSchema }).openapi('GrantResult');

const grantTransactionExample = { ...transactionExample, type: 'grant' as const, description: 'Welcome credits', amountMicros: 20_000_000, balanceAfterMicros: 38_734_500 };
const grantExample = {
  block: { ...creditBlockExample, remainingMicros: creditBlockExample.amountMicros },
  transaction: grantTransactionExample,
};

export const createGrantRoute = createRoute({
  method: 'post',
  path: '/internal/v1/grants',
  operationId: 'createGrant',
  tags: ['Credits'],
  summary: 'Grant credits as a block of their own',
  description:
    'Records a `grant` transaction (`completed`) and its credit block: `promotional` by default, priority 50, never expiring, unless given otherwise. Blocks are spent in burn-down order (lower priority, then soonest expiry, then promotional before paid, then oldest). **Idempotency:** by `id`: the same id and body answers the original grant (its block as it stands); the same id with another body is 409.',
  security: [{ internalToken: [] }],
  request: {
    body: jsonBody(GrantBody, { id: 'welcome-acme', workspaceId: EX.workspaceId, amountMicros: 20_000_000, description: 'Welcome credits', expiresAt: '2026-12-21T00:00:00.000Z' }),
  },
  responses: {
    201: jsonResponse('Granted (or the original grant, on a replay).', BlockAndTransaction, grantExample),
    ...errorResponses(
      ['invalid_request', 'expiresAt: must be in the future.'],
      'unauthenticated',
      ['not_found', 'body.workspaceId: no such workspace.'],
      ['idempotency_conflict', 'The id "welcome-acme" was already used with a different request.'],
    ),
  },
});

export const voidGrantRoute = createRoute({
  method: 'post',
  path: '/internal/v1/grants/{id}/void',
  operationId: 'voidGrant',
  tags: ['Credits'],
  summary: 'Void a grant: remove what is left of it now',
  description:
    'Records one `expiration` transaction taking the grant\'s unspent remainder (zero if it is spent). **Idempotent:** voiding again answers the same expiration.',
  security: [{ internalToken: [] }],
  request: { params: z.object({ id: IdempotencyIdSchema.openapi({ description: 'The id the grant was made with.', example: 'welcome-acme' }) }) },
  responses: {
    200: jsonResponse('Voided (or the earlier void).', BlockAndTransaction, {
      block: { ...creditBlockExample, remainingMicros: 0 },
      transaction: { ...transactionExample, type: 'expiration', description: 'Grant voided: remaining promotional credit from a grant removed', amountMicros: -12_000_000, balanceAfterMicros: 6_734_500 },
    }),
    ...errorResponses(['invalid_request', 'id: must be letters, digits, and _ - : . (starting with a letter or digit)'], 'unauthenticated', ['not_found', 'No such grant.']),
  },
});

export const registerGrantRoutes = (app: Router) =>
  app
    .openapi(createGrantRoute, async (c) => {
      const body = c.req.valid('json');
      await assertTenants(c.env, [{ workspaceId: body.workspaceId, path: 'body' }]);
      await claimGrantId(c.env, body.id, body.workspaceId);
      const result = unwrap(
        await ledgerFor(c.env, body.workspaceId).grant({
          workspaceId: body.workspaceId,
          grantId: body.id,
          amountMicros: body.amountMicros,
          description: body.description,
          category: body.category ?? 'promotional',
          priority: body.priority ?? DEFAULT_PRIORITY,
          expiresAtMs: body.expiresAt ? Date.parse(body.expiresAt) : null,
        }),
      );
      return c.json(result.value, 201, result.replayed ? { 'Idempotent-Replayed': 'true' } : undefined);
    })
    .openapi(voidGrantRoute, async (c) => {
      const { id } = c.req.valid('param');
      const workspaceId = await grantWorkspaceId(c.env, id);
      return c.json(unwrap(await ledgerFor(c.env, workspaceId).voidGrant(workspaceId, id)).value, 200);
    });
