import type { resources } from '../../schema/tables';
import { iso } from '../lib/time';

export interface StartResourceInput {
  id: string;
  workspaceId: string;
  memberId?: string;
  kind: 'instance' | 'volume';
  instanceType?: string;
  sizeBytes?: number;
  startedAtMs?: number;
}

export interface ResourceView {
  id: string;
  workspaceId: string;
  memberId: string | null;
  kind: 'instance' | 'volume';
  instanceType: string | null;
  sizeBytes: number | null;
  status: 'running' | 'stopped';
  startedAt: string;
  stoppedAt: string | null;
  stopReason: string | null;
}

export function toResourceView(row: typeof resources.$inferSelect): ResourceView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    memberId: row.memberId || null,
    kind: row.kind,
    instanceType: row.instanceType,
    sizeBytes: row.sizeBytes,
    status: row.stoppedAtMs === null ? 'running' : 'stopped',
    startedAt: iso(row.startedAtMs),
    stoppedAt: row.stoppedAtMs === null ? null : iso(row.stoppedAtMs),
    stopReason: row.stopReason,
  };
}
