// PUT /v1/billing/alerts inside the workspace's ledger object: the settings are written only here, in
// the object's queue turn, and its cache follows in the same turn (as settings.ts does for
// auto-top-up). Enforcement runs right after and acts on the new settings.
import { eq } from 'drizzle-orm';
import { ledgerWorkspaces } from '../../../../schema/tables';
import { balanceViewOf } from '../enforcement_plan';
import { notFound, type LedgerContext } from '../../state/ledger_context';
import type { LedgerResult } from '../../ledger_result';
import { alertInputsOf } from './alert_inputs';
import { crossedOnSave, thresholdKey, type AlertSettings } from './alert_rules';

/**
 * Replaces the alert settings. A threshold the balance is already below when it is added counts as
 * crossed (it fires after the balance has risen above it and falls again): "falls below" is news,
 * "is below" is what the admin saw when they set it. A threshold kept from the old settings keeps
 * its state, so a crossing due meanwhile is still announced by the enforcement that follows.
 */
export async function saveAlertsNow(ledger: LedgerContext, workspaceId: string, settings: AlertSettings, nowMs: number): Promise<LedgerResult<null>> {
  const state = await ledger.load(workspaceId);
  if (!state) return notFound;
  const inputs = alertInputsOf(state, balanceViewOf(state, nowMs), nowMs);
  const wanted = new Set(settings.thresholds.map(thresholdKey));
  const kept = state.alerts.state.crossed.filter((key) => wanted.has(key));
  const known = new Set(state.alerts.settings.thresholds.map(thresholdKey));
  const added = crossedOnSave(
    settings.thresholds.filter((t) => !known.has(thresholdKey(t))),
    inputs,
  );
  const crossed = [...new Set([...kept, ...added])];
  await ledger.db
    .update(ledgerWorkspaces)
    .set({
      alertThresholdsJson: JSON.stringify(settings.thresholds),
      alertTerminationWarningMinutes: settings.terminationWarningMinutes,
      alertEmailAdmins: settings.emailAdmins,
      alertsUpdatedAtMs: nowMs,
      alertCrossedJson: JSON.stringify(crossed),
    })
    .where(eq(ledgerWorkspaces.workspaceId, workspaceId));
  state.alerts = { settings: { ...settings, thresholds: [...settings.thresholds] }, state: { ...state.alerts.state, crossed } };
  return { ok: true, replayed: false, value: null };
}
