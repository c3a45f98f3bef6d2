// Workspaces and their members, through the internal API.
import { internal } from '../../helpers/api';
import type { SimOp } from './op';

/**
 * A run keeps to a few workspaces, so that each sees enough of everything else; five, so that two of
 * them share a ledger shard (there are four) and a read scoped to the wrong workspace would show.
 */
export const MAX_WORKSPACES = 5;

export const workspaceOps: SimOp[] = [
  {
    name: 'create_workspace',
    weight: (w) => (w.workspaces.length === 0 ? 1_000 : w.workspaces.length < MAX_WORKSPACES ? 8 : 0),
    async run(w) {
      const index = w.workspaces.length;
      const res = await internal('POST', '/internal/v1/workspaces', { name: `Sim ${index}`, admin: { name: 'Sim Admin', email: `${w.nextId('admin')}@example.com` } });
      if (!w.expectStatus('create workspace', res.status, [201], res.body)) return w.note('create_workspace', `failed ${res.status}`);
      w.workspaces.push({
        index,
        workspaceId: res.body.workspace.id,
        adminKey: res.body.apiKey,
        members: [{ memberId: res.body.member.id, apiKey: res.body.apiKey }],
        createdAtMs: w.clock.now(),
        deposits: [],
        resources: [],
        transactionIds: [],
        events: new Map(),
        sent: new Map(),
        disputes: [],
        holds: new Map(),
        limits: new Map(),
        regions: new Set(),
        alerts: new Map(),
        alertEventsSeen: new Set(),
        alertRises: 0,
        creditsSeen: 0,
      });
      w.note('create_workspace', `ws${index}`);
    },
  },
  {
    name: 'add_member',
    weight: (w) => (w.workspaces.length > 0 ? 2 : 0),
    async run(w) {
      const ws = w.pickWorkspace()!;
      const res = await internal('POST', `/internal/v1/workspaces/${ws.workspaceId}/members`, { name: 'Sim Member', email: `${w.nextId('member')}@example.com`, role: 'member' });
      if (w.expectStatus('add member', res.status, [201], res.body)) ws.members.push({ memberId: res.body.member.id, apiKey: res.body.apiKey });
      w.note('add_member', `ws${ws.index} → ${res.status}`);
    },
  },
];
