// The dashboard's alerts form (views/alerts_panel.ts), applied as PUT /v1/billing/alerts applies it:
// validated by the same schema, saved through the workspace's ledger object.
import type { DashboardSession, Env } from '../env';
import { saveAlerts } from '../billing/alerts';
import { AlertsBody, MAX_ALERT_THRESHOLDS } from '../openapi/alert_schemas';
import { parseDollarsToCents } from './format';

/** What the admin typed, kept to show again beside an error. */
export interface AlertsFormState {
  rows?: Array<{ kind: string; value: string }>;
  warningMinutes?: string;
  emailAdmins?: boolean;
  error?: string;
  saved?: boolean;
}

/** Up to five rows `kindN` (none | balance | hours) with `valueN` (dollars or hours), the warning and email fields. */
export async function saveAlertsForm(env: Env, session: DashboardSession, form: Record<string, string>): Promise<{ ok: true } | { ok: false; state: AlertsFormState }> {
  const rows = Array.from({ length: MAX_ALERT_THRESHOLDS }, (_, i) => ({ kind: form[`kind${i}`] ?? 'none', value: (form[`value${i}`] ?? '').trim() }));
  const state: AlertsFormState = { rows, warningMinutes: form.warningMinutes ?? '', emailAdmins: form.emailAdmins === 'on' };
  const fail = (error: string) => ({ ok: false as const, state: { ...state, error } });
  const thresholds: Array<{ balanceCents: number } | { hoursRemaining: number }> = [];
  for (const [i, row] of rows.entries()) {
    if (row.kind === 'balance') {
      const cents = parseDollarsToCents(row.value);
      if (cents === null) return fail(`Alert ${i + 1}: enter a balance in dollars, such as 20 or 20.50.`);
      thresholds.push({ balanceCents: cents });
    } else if (row.kind === 'hours') {
      const hours = /^\d{1,4}(\.\d{1,2})?$/.test(row.value) ? Number(row.value) : NaN;
      if (!(hours >= 0 && hours <= 8_760)) return fail(`Alert ${i + 1}: enter hours remaining between 0 and 8760, such as 24 or 1.5.`);
      thresholds.push({ hoursRemaining: hours });
    }
  }
  const minutes = /^\d{1,4}$/.test(state.warningMinutes!) ? Number(state.warningMinutes) : NaN;
  if (!(minutes >= 0 && minutes <= 1_440)) return fail('Enter the termination warning in whole minutes, 0 to 1440 (0: no warning).');
  const parsed = AlertsBody.safeParse({ thresholds, terminationWarningMinutes: minutes, emailAdmins: state.emailAdmins });
  if (!parsed.success) return fail(parsed.error.issues[0]?.path.join('.') === 'thresholds' ? 'At most five alerts.' : 'The same alert is listed twice: remove one.');
  await saveAlerts(env, session.workspaceId, parsed.data);
  return { ok: true };
}
