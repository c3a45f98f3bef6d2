import { createRoute, z } from '@hono/zod-openapi';
import { endMemberSessions } from '../../dashboard/session_store';
import { EX } from '../../openapi/examples';
import { errorResponses, jsonResponse, MemberIdSchema, WorkspaceIdSchema } from '../../openapi/schemas';
import { assertMemberInWorkspace } from '../../tenancy/workspace_exists';
import type { Router } from '../router';

const EndedSessions = z
  .object({
    memberId: z.string(),
    endedSessions: z.int().openapi({ description: 'How many open sessions this call ended (0 when there were none).', example: 2 }),
  })
  .openapi('EndedDashboardSessions');

export const endMemberSessionsRoute = createRoute({
  method: 'delete',
  path: '/internal/v1/workspaces/{ws}/members/{memberId}/dashboard-sessions',
  operationId: 'endMemberDashboardSessions',
  tags: ['Workspaces'],
  summary: "End a member's dashboard sessions",
  description:
    'Signs the member out of the billing dashboard everywhere, at once: sessions signed in with an API key and sessions from one-time links (which no key revocation reaches when the member keeps their keys). The member can sign in again. **Idempotent:** calling again ends nothing more (`endedSessions: 0`).',
  security: [{ internalToken: [] }],
  request: { params: z.object({ ws: WorkspaceIdSchema, memberId: MemberIdSchema }) },
  responses: {
    200: jsonResponse('The sessions are ended.', EndedSessions, { memberId: EX.memberId, endedSessions: 2 }),
    ...errorResponses(['invalid_request', 'memberId: must be a member id (mem_…)'], 'unauthenticated', ['not_found', 'No such member in this workspace.']),
  },
});

export const registerMemberSessionRoutes = (app: Router) =>
  app.openapi(endMemberSessionsRoute, async (c) => {
    const { ws, memberId } = c.req.valid('param');
    await assertMemberInWorkspace(c.env, ws, memberId);
    return c.json({ memberId, endedSessions: await endMemberSessions(c.env, ws, memberId) }, 200);
  });
