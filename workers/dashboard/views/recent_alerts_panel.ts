import { html } from 'hono/html';
import { alertFigures, alertTitle } from '../../notifications/email_message';
import { formatDateTime } from '../format';
import type { RecentAlert } from '../recent_alerts_data';

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Admins only: the last alerts and warnings of the workspace (recent_alerts_data.ts); nothing for members. */
export function recentAlertsPanel(alerts: RecentAlert[] | null) {
  if (alerts === null) return '';
  return html`<section class="card" id="recent-alerts" aria-labelledby="recent-alerts-title">
  <h2 id="recent-alerts-title">Recent alerts</h2>
  ${alerts.length === 0
    ? html`<p data-testid="recent-alerts-empty">No alerts yet.</p>`
    : html`<ul class="alert-list" data-testid="recent-alerts">
    ${alerts.map(
      (a) => html`<li data-type="${a.type}">
      <strong>${capitalized(alertTitle(a.type))}</strong> <span class="hint">${formatDateTime(a.createdAt)}</span>
      ${alertFigures(a.data)
        .filter((line) => !line.startsWith('Transaction:'))
        .map((line) => html`<br><span>${line}</span>`)}
      ${a.emailedTo > 0 ? html`<br><span class="hint">Emailed to ${a.emailedTo} admin${a.emailedTo === 1 ? '' : 's'}.</span>` : ''}
    </li>`,
    )}
  </ul>`}
</section>`;
}
