import { and, desc, eq } from 'drizzle-orm';
import { platformEvents } from '../../schema/tables';
import type { Env } from '../env';
import { iso } from '../lib/time';
import { ledgerDbOf } from '../storage/databases';

export interface PlatformEventQuery {
  limit?: number;
  type?: string;
}

/** A workspace's platform notifications with their delivery state, newest first (50 unless `limit`); an unknown workspace is 404. */
export async function listPlatformEvents(env: Env, workspaceId: string, query: PlatformEventQuery) {
  const ws = workspaceId;
  const rows = await (await ledgerDbOf(env, ws))
    .select()
    .from(platformEvents)
    .where(and(eq(platformEvents.workspaceId, ws), query.type ? eq(platformEvents.type, query.type) : undefined))
    .orderBy(desc(platformEvents.createdAtMs), desc(platformEvents.id))
    .limit(query.limit ?? 50)
    .all();
  return {
    data: rows.map((r) => ({
      id: r.id,
      type: r.type,
      createdAt: iso(r.createdAtMs),
      workspaceId: r.workspaceId,
      data: JSON.parse(r.dataJson) as Record<string, unknown>,
      delivery: {
        state: r.deliveryState as 'pending' | 'delivered' | 'not_configured',
        attempts: r.attempts,
        lastAttemptAt: r.lastAttemptAtMs === null ? null : iso(r.lastAttemptAtMs),
        lastError: r.lastError,
        deliveredAt: r.deliveredAtMs === null ? null : iso(r.deliveredAtMs),
      },
    })),
  };
}
