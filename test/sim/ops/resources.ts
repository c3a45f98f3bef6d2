// Metered resources through the internal API: instances and volumes started (now or a few minutes
// back), stopped (again: idempotent), and terminated by the ledger itself at a zero balance.
import { internal } from '../../helpers/api';
import { iso, type SimOp } from './op';

const INSTANCE_TYPES = ['cpu-small', 'cpu-large', 'gpu-a10g'];

export const resourceOps: SimOp[] = [
  {
    name: 'start_resource',
    weight: (w) => (w.workspaces.length > 0 ? 5 : 0),
    async run(w) {
      const ws = w.pickWorkspace()!;
      if (ws.resources.filter((r) => r.running).length >= 3) return w.note('start_resource', `ws${ws.index} has 3 running`);
      const id = w.nextId('res');
      const kind = w.rng.chance(0.7) ? 'instance' : 'volume';
      const startedAtMs = Math.max(ws.createdAtMs, w.clock.now() - w.rng.int(0, 5) * 60_000);
      const size = kind === 'instance' ? { instanceType: w.rng.pick(INSTANCE_TYPES) } : { sizeBytes: w.rng.int(1, 50) * 1_000_000_000 };
      const res = await internal('POST', '/internal/v1/resources', { id, workspaceId: ws.workspaceId, kind, ...size, startedAt: iso(startedAtMs) });
      w.note('start_resource', `ws${ws.index} ${kind} ${Object.values(size)[0]} → ${res.status}`);
      // Kept even when a fault hid the answer (it may have started): a client would stop it later.
      w.expectStatus('start resource', res.status, [201, 402], res.body);
      if (res.status === 201 || res.status >= 500) ws.resources.push({ id, kind, running: true, confirmed: res.status === 201 });
    },
  },
  {
    name: 'stop_resource',
    weight: (w) => (w.workspaces.some((ws) => ws.resources.length > 0) ? 5 : 0),
    async run(w) {
      const candidates = w.workspaces.filter((ws) => ws.resources.length > 0);
      const ws = w.rng.pick(candidates);
      const running = ws.resources.filter((r) => r.running);
      const resource = running.length > 0 && w.rng.chance(0.85) ? w.rng.pick(running) : w.rng.pick(ws.resources);
      const res = await internal('POST', `/internal/v1/resources/${resource.id}/stop`, { stoppedAt: iso(w.clock.now()) });
      w.note('stop_resource', `ws${ws.index} ${resource.kind}${resource.running ? '' : ' (again)'} → ${res.status}`);
      // 404 only for a start whose answer a fault took: it may never have started.
      w.expectStatus('stop resource', res.status, resource.confirmed ? [200] : [200, 404], res.body);
      if (res.status === 200 || res.status === 404) resource.running = false;
    },
  },
];
