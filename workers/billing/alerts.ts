// GET and PUT /v1/billing/alerts (and the dashboard's alerts form): read from the workspace's ledger
// shard; changed only through its ledger object, the only writer of what it caches.
import { eq } from 'drizzle-orm';
import type { z } from '@hono/zod-openapi';
import { ledgerWorkspaces } from '../../schema/tables';
import type { Env } from '../env';
import { notFound } from '../errors/api_error';
import { iso } from '../lib/time';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { parseThresholds, type AlertSettings, type AlertThreshold } from '../ledger/enforcement/alerts/alert_rules';
import type { AlertsBody, AlertsSchema } from '../openapi/alert_schemas';
import { ledgerDbOf } from '../storage/databases';

export type Alerts = z.infer<typeof AlertsSchema>;

export async function readAlerts(env: Env, workspaceId: string): Promise<Alerts> {
  const row = await (await ledgerDbOf(env, workspaceId))
    .select({
      thresholdsJson: ledgerWorkspaces.alertThresholdsJson,
      terminationWarningMinutes: ledgerWorkspaces.alertTerminationWarningMinutes,
      emailAdmins: ledgerWorkspaces.alertEmailAdmins,
      updatedAtMs: ledgerWorkspaces.alertsUpdatedAtMs,
      createdAtMs: ledgerWorkspaces.createdAtMs,
    })
    .from(ledgerWorkspaces)
    .where(eq(ledgerWorkspaces.workspaceId, workspaceId))
    .get();
  if (!row) throw notFound('workspace');
  return {
    thresholds: parseThresholds(row.thresholdsJson),
    terminationWarningMinutes: row.terminationWarningMinutes,
    emailAdmins: row.emailAdmins,
    // Never changed: the defaults have been in force since the workspace was made.
    updatedAt: iso(row.updatedAtMs ?? row.createdAtMs),
  };
}

/** The validated body as the ledger object stores it: each threshold with its one key. */
export function alertSettingsOf(body: z.infer<typeof AlertsBody>): AlertSettings {
  const thresholds: AlertThreshold[] = body.thresholds.map((t) => (t.balanceCents !== undefined ? { balanceCents: t.balanceCents } : { hoursRemaining: t.hoursRemaining! }));
  return { thresholds, terminationWarningMinutes: body.terminationWarningMinutes, emailAdmins: body.emailAdmins };
}

export async function saveAlerts(env: Env, workspaceId: string, body: z.infer<typeof AlertsBody>): Promise<Alerts> {
  unwrap(await ledgerFor(env, workspaceId).saveAlerts(workspaceId, alertSettingsOf(body)));
  return readAlerts(env, workspaceId);
}
