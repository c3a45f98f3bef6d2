import { html } from 'hono/html';
import type { Alerts } from '../../billing/alerts';
import type { DashboardSession } from '../../env';
import { MAX_ALERT_THRESHOLDS } from '../../openapi/alert_schemas';
import type { AlertsFormState } from '../alerts_form';
import { centsToField, formatCents } from '../format';

const thresholdText = (t: Alerts['thresholds'][number]) =>
  'balanceCents' in t ? `Balance falls below ${formatCents(t.balanceCents)}` : `Hours remaining fall below ${t.hoursRemaining}`;

const warningText = (minutes: number) => (minutes === 0 ? 'Off' : `${minutes} minutes before running instances are stopped for a zero balance`);

/**
 * Alerts (docs/alerts.md): thresholds, the termination warning, email to admins. Admins edit them
 * (five rows of kind + value, so the form works without a script); members see them read-only.
 */
export function alertsPanel(session: DashboardSession, alerts: Alerts, state: AlertsFormState = {}) {
  if (session.role !== 'admin') {
    return html`<section class="card" id="alerts" aria-labelledby="alerts-title">
  <h2 id="alerts-title">Alerts</h2>
  <dl class="settings" data-testid="alerts-readonly">
    <div><dt>Thresholds</dt><dd>${alerts.thresholds.length === 0 ? 'None' : html`<ul class="plain-list">${alerts.thresholds.map((t) => html`<li>${thresholdText(t)}</li>`)}</ul>`}</dd></div>
    <div><dt>Termination warning</dt><dd>${warningText(alerts.terminationWarningMinutes)}</dd></div>
    <div><dt>Email to admins</dt><dd>${alerts.emailAdmins ? 'On' : 'Off'}</dd></div>
  </dl>
  <p class="hint">Only workspace admins can change these settings.</p>
</section>`;
  }
  const rows =
    state.rows ??
    Array.from({ length: MAX_ALERT_THRESHOLDS }, (_, i) => {
      const t = alerts.thresholds[i];
      if (!t) return { kind: 'none', value: '' };
      return 'balanceCents' in t ? { kind: 'balance', value: centsToField(t.balanceCents) } : { kind: 'hours', value: String(t.hoursRemaining) };
    });
  const minutes = state.warningMinutes ?? String(alerts.terminationWarningMinutes);
  const email = state.emailAdmins ?? alerts.emailAdmins;
  const errorRef = state.error ? ' alerts-error' : '';
  return html`<section class="card" id="alerts" aria-labelledby="alerts-title">
  <h2 id="alerts-title">Alerts</h2>
  ${state.saved ? html`<p class="notice" role="status">Alert settings saved.</p>` : ''}
  <p class="hint">Each alert is sent once when the balance (or the hours it lasts) falls below it, and again only after it has risen above it.</p>
  <form method="post" action="/dashboard/alerts" novalidate data-testid="alerts-form">
    <input type="hidden" name="csrf" value="${session.csrfToken}">
    <fieldset><legend>Thresholds (up to ${MAX_ALERT_THRESHOLDS})</legend>
    ${rows.map(
      (row, i) => html`<div class="alert-row">
      <label for="alert-kind-${i}" class="visually-hidden">Alert ${i + 1}</label>
      <select id="alert-kind-${i}" name="kind${i}">
        <option value="none" ${row.kind !== 'balance' && row.kind !== 'hours' ? 'selected' : ''}>No alert</option>
        <option value="balance" ${row.kind === 'balance' ? 'selected' : ''}>Balance below (USD)</option>
        <option value="hours" ${row.kind === 'hours' ? 'selected' : ''}>Hours remaining below</option>
      </select>
      <label for="alert-value-${i}" class="visually-hidden">Alert ${i + 1} value</label>
      <input id="alert-value-${i}" name="value${i}" inputmode="decimal" autocomplete="off" value="${row.value}" aria-describedby="alerts-hint${errorRef}">
    </div>`,
    )}
    <p id="alerts-hint" class="hint">A balance in dollars (20 or 20.50) or a number of hours (24 or 1.5).</p>
    </fieldset>
    <label for="alert-warning">Warn before instances are stopped (minutes)</label>
    <input id="alert-warning" name="warningMinutes" inputmode="numeric" autocomplete="off" value="${minutes}" aria-describedby="alert-warning-hint${errorRef}">
    <p id="alert-warning-hint" class="hint">0 to 1440; 0 for no warning. Sent when the balance is predicted to reach zero within this time.</p>
    <label class="choice"><input type="checkbox" name="emailAdmins" value="on" ${email ? 'checked' : ''}> Also email every alert to the workspace's admins</label>
    ${state.error ? html`<p id="alerts-error" class="field-error" role="alert">${state.error}</p>` : ''}
    <button type="submit">Save alerts</button>
  </form>
</section>`;
}
