import { html } from 'hono/html';
import { formatHoursRemaining, formatMicros } from '../format';
import type { LiveView } from '../load_dashboard';

const LOW_HOURS = 24;

/** Zero-balance banner: what happened to instances and storage, and the way back. */
export function zeroBalanceBanner(data: LiveView) {
  const { zeroBalance, summary } = data;
  if (zeroBalance.storageSuspendedAt === null && !(summary.balanceMicros <= 0 && zeroBalance.terminatedAt)) return '';
  return html`<section class="banner banner-danger" role="alert" data-testid="zero-balance-banner">
  <h2>Your balance reached zero</h2>
  <p>${zeroBalance.terminatedAt ? html`Running instances were terminated on ${zeroBalance.terminatedAt.slice(0, 16).replace('T', ' ')} UTC so that no debt builds up. ` : ''}${zeroBalance.storageSuspendedAt ? 'Storage volumes are inaccessible, but nothing was deleted: ' : ''}add credits and access is restored at once.</p>
  ${data.session.role === 'admin' ? html`<p><a class="button" href="#add-credits">Add Credits</a></p>` : html`<p>Ask a workspace admin to add credits.</p>`}
</section>`;
}

/** Balance, burn rate, hours remaining and the open hour's accumulating usage. */
export function balancePanel(data: LiveView) {
  const { summary } = data;
  const low = summary.hoursRemaining !== null && summary.hoursRemaining < LOW_HOURS;
  return html`${zeroBalanceBanner(data)}
<section class="card" aria-labelledby="balance-title">
  <h2 id="balance-title">Credit balance</h2>
  <dl class="metrics">
    <div class="metric"><dt>Current balance</dt><dd data-testid="balance">${formatMicros(summary.balanceMicros)}</dd></div>
    <div class="metric"><dt>Burn rate</dt><dd data-testid="burn-rate">${formatMicros(summary.burnRateMicrosPerHour)}<span class="unit">/hour</span></dd></div>
    <div class="metric${low ? ' metric-warning' : ''}" data-testid="hours-remaining-metric"><dt>Time remaining</dt><dd data-testid="hours-remaining">${formatHoursRemaining(summary.hoursRemaining)}${low ? html`<span class="warning-text"> · under 24 hours</span>` : ''}</dd></div>
    <div class="metric"><dt>Accumulating this hour</dt><dd data-testid="accumulating">${formatMicros(summary.accumulatingMicros)}</dd></div>
    ${summary.heldMicros > 0 ? html`<div class="metric"><dt>Held</dt><dd data-testid="held">${formatMicros(summary.heldMicros)}</dd></div>` : ''}
  </dl>
  <p class="hint">Updated ${summary.updatedAt.slice(11, 19)} UTC. Usage is settled hourly; the balance already excludes what is accumulating.</p>
</section>`;
}
