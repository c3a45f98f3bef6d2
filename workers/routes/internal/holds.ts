import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../errors/api_error';
import { unwrap } from '../../ledger/ledger_result';
import { ledgerFor } from '../../ledger/ledger_stub';
import { EX } from '../../openapi/examples';
import {
  captureExample,
  CaptureAnswerSchema,
  CaptureBody,
  CreateHoldBody,
  HOLD_TTL_DEFAULT_SECONDS,
  holdExample,
  HoldSchema,
  ReleaseBody,
} from '../../openapi/hold_schemas';
import { errorResponses, IdempotencyIdSchema, jsonBody, jsonResponse, WorkspaceIdSchema } from '../../openapi/schemas';
import { claimHoldId, unclaimHoldId } from '../../tenancy/hold_workspace';
import { assertTenants } from '../../usage/known_tenants';
import type { Router } from '../router';
import type { Env } from '../../env';
import { decideNearCaller } from '../../regions/near_caller';
import { callerRegion, DECIDED_IN_HEADER } from '../../regions/caller_region';
import { decideHold } from '../../regions/hold_near_caller';

const HoldIdParam = z.object({
  id: IdempotencyIdSchema.openapi({ description: 'The id the hold was made with.', example: 'stream-91ac' }),
});

export const createHoldRoute = createRoute({
  method: 'post',
  path: '/internal/v1/holds',
  operationId: 'createHold',
  tags: ['Holds'],
  summary: 'Reserve credits for work whose cost is not known yet',
  description:
    'Granted only when the balance, less what active holds already reserve, covers `amountMicros` (else 402 `insufficient_credits`, nothing held), and within the member\'s spend limit (else 402 `spend_limit_exceeded`). While active, the hold lowers `balanceMicros` for every credit check, deduction and other hold; it never terminates anything. It expires after `ttlSeconds` (default 900) and is then released within 60 s. Durable in the workspace\'s ledger object before the answer. **Idempotency:** by `id`: the same id and body answers the hold as it stands; another body (or another workspace) is 409.',
  security: [{ internalToken: [] }],
  request: { body: jsonBody(CreateHoldBody, { id: 'stream-91ac', workspaceId: EX.workspaceId, memberId: EX.memberId, amountMicros: 250_000, ttlSeconds: 300, description: 'claude-sonnet-4 stream' }) },
  responses: {
    201: jsonResponse('Held (or the hold as it stands, on a replay).', HoldSchema, holdExample),
    ...errorResponses(
      ['invalid_request', 'ttlSeconds: Too big: expected number to be <=86400'],
      'unauthenticated',
      ['insufficient_credits', 'The balance less what is held (120000 micros) cannot cover 250000 micros; nothing was held.'],
      'spend_limit_exceeded',
      ['not_found', 'workspaceId: no such workspace.'],
      ['idempotency_conflict', 'The hold id "stream-91ac" was already used with a different request.'],
    ),
  },
});

export const captureHoldRoute = createRoute({
  method: 'post',
  path: '/internal/v1/holds/{id}/capture',
  operationId: 'captureHold',
  tags: ['Holds'],
  summary: 'Charge what the work cost and free the rest',
  description:
    'Records one `usage` transaction (`completed`, with the hold\'s memberId) of `amountMicros` and frees the rest of the hold; 0 releases it (no transaction). The amount may exceed the hold: the excess is taken as far as the balance covers it and the rest recorded as `forgivenMicros`. An expired hold is still captured so (the work was done). **Idempotency:** the same amount answers the original; another amount is 409 `idempotency_conflict`; a released hold is 409 `hold_closed`.',
  security: [{ internalToken: [] }],
  request: { params: HoldIdParam, body: jsonBody(CaptureBody, { amountMicros: 187_400 }) },
  responses: {
    200: jsonResponse('Captured (or the original capture, on a replay).', CaptureAnswerSchema, captureExample),
    ...errorResponses(
      ['invalid_request', 'amountMicros: Too small: expected number to be >=0'],
      'unauthenticated',
      ['not_found', 'No such hold.'],
      ['idempotency_conflict', 'The hold "stream-91ac" was already captured with another amount.'],
      'hold_closed',
    ),
  },
});

export const releaseHoldRoute = createRoute({
  method: 'post',
  path: '/internal/v1/holds/{id}/release',
  operationId: 'releaseHold',
  tags: ['Holds'],
  summary: 'Free a hold without charging',
  description: '**Idempotent:** releasing a released or expired hold answers it as it stands; a captured hold is 409 `hold_closed`.',
  security: [{ internalToken: [] }],
  request: {
    params: HoldIdParam,
    body: { required: false, content: { 'application/json': { schema: ReleaseBody, example: {} } } },
  },
  responses: {
    200: jsonResponse('Released (or as it stands).', z.object({ hold: HoldSchema }), { hold: { ...holdExample, status: 'released' } }),
    ...errorResponses(['invalid_request', 'workspaceId: must be a workspace id (ws_…)'], 'unauthenticated', ['not_found', 'No such hold.'], ['hold_closed', 'The hold "stream-91ac" was captured; it can no longer be released.']),
  },
});

export const listHoldsRoute = createRoute({
  method: 'get',
  path: '/internal/v1/workspaces/{ws}/holds',
  operationId: 'listHolds',
  tags: ['Holds'],
  summary: 'The workspace\'s active holds',
  security: [{ internalToken: [] }],
  request: { params: z.object({ ws: WorkspaceIdSchema }) },
  responses: {
    200: jsonResponse('Active holds, oldest first.', z.object({ data: z.array(HoldSchema) }), { data: [holdExample] }),
    ...errorResponses(['invalid_request', 'ws: must be a workspace id (ws_…)'], 'unauthenticated', 'not_found'),
  },
});

const releaseNearCaller = (env: Env, request: Request, workspaceId: string, holdId: string) =>
  decideNearCaller(env, request, workspaceId, (ledger) => ledger.releaseHold(workspaceId, holdId), (regional, where) => regional.releaseHold(where, holdId));

export const registerHoldRoutes = (app: Router) =>
  app
    .openapi(createHoldRoute, async (c) => {
      const body = c.req.valid('json');
      // A member of another workspace is bad input (400, naming the field); a workspace that does not exist is a 404.
      await assertTenants(c.env, [{ workspaceId: body.workspaceId, memberId: body.memberId, path: '' }], 'invalid_request');
      const input = {
        id: body.id,
        workspaceId: body.workspaceId,
        memberId: body.memberId ?? null,
        amountMicros: body.amountMicros,
        ttlSeconds: body.ttlSeconds ?? HOLD_TTL_DEFAULT_SECONDS,
        description: body.description ?? null,
      };
      // The id is claimed for the workspace in the hold-id registry of the caller's region while the
      // object decides: near the caller while its region's lease covers it (workers/regions/), else at home.
      const region = callerRegion(c.env, c.req.raw);
      const [claimed, { result, decidedIn }] = await Promise.all([
        claimHoldId(c.env, body.id, body.workspaceId, region),
        decideNearCaller(c.env, c.req.raw, body.workspaceId, (ledger) => ledger.createHold(input), (regional, where) => regional.createHold(where, input)),
      ]);
      if (!claimed) {
        // Another workspace's id: whatever this workspace's object just held is let go (no capture can reach it).
        if (result.ok && !result.replayed) await releaseNearCaller(c.env, c.req.raw, body.workspaceId, body.id);
        throw new ApiError('idempotency_conflict', `The hold id "${body.id}" was already used with a different request.`);
      }
      if (!result.ok && result.code === 'not_found') await unclaimHoldId(c.env, body.id, body.workspaceId, region);
      c.header(DECIDED_IN_HEADER, decidedIn); // on refusals too (the error handler keeps it)
      const { value, replayed } = unwrap(result);
      return c.json(value, 201, replayed ? { 'Idempotent-Replayed': 'true' } : undefined);
    })
    .openapi(captureHoldRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { amountMicros, workspaceId: expected } = c.req.valid('json');
      const { result, decidedIn } = await decideHold(
        c.env,
        c.req.raw,
        id,
        expected,
        (ledger, workspaceId) => ledger.captureHold(workspaceId, id, amountMicros),
        (regional, where) => regional.captureHold(where, id, amountMicros),
      );
      c.header(DECIDED_IN_HEADER, decidedIn); // on refusals too (the error handler keeps it)
      const { value, replayed } = unwrap(result);
      return c.json(value, 200, replayed ? { 'Idempotent-Replayed': 'true' } : undefined);
    })
    .openapi(releaseHoldRoute, async (c) => {
      const { id } = c.req.valid('param');
      const expected = ((c.req.valid('json') as { workspaceId?: string } | undefined) ?? {}).workspaceId;
      const { result, decidedIn } = await decideHold(c.env, c.req.raw, id, expected, (ledger, workspaceId) => ledger.releaseHold(workspaceId, id), (regional, where) => regional.releaseHold(where, id));
      c.header(DECIDED_IN_HEADER, decidedIn); // on refusals too (the error handler keeps it)
      const { value } = unwrap(result);
      return c.json({ hold: value }, 200);
    })
    .openapi(listHoldsRoute, async (c) => {
      const { ws } = c.req.valid('param');
      const { value } = unwrap(await ledgerFor(c.env, ws).listHolds(ws));
      return c.json({ data: value }, 200);
    });

