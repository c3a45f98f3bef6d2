import { html } from 'hono/html';
import { formatDay, formatHoursRemaining, formatMicros, formatRunsOutAt } from '../format';
import type { LiveView } from '../load_dashboard';
import { burnBreakdown } from './burn_breakdown';

/** Under this many hours left the tile turns amber; under CRITICAL_HOURS, red, with the time it runs out. */
const LOW_HOURS = 24;
const CRITICAL_HOURS = 2;

/** How urgent the time remaining is: none, low (amber) or critical (red). */
export function timeRemainingState(hoursRemaining: number | null): 'ok' | 'low' | 'critical' {
  if (hoursRemaining === null || hoursRemaining >= LOW_HOURS) return 'ok';
  return hoursRemaining < CRITICAL_HOURS ? 'critical' : 'low';
}

/** The time-remaining tile: amber under a day, red under two hours, saying when it runs out. */
function timeRemainingMetric(hoursRemaining: number | null, nowMs: number) {
  const state = timeRemainingState(hoursRemaining);
  const runsOut = formatRunsOutAt(nowMs, hoursRemaining);
  const note =
    state === 'critical'
      ? html`<span class="danger-text" data-testid="runs-out-at">Runs out at ${runsOut}</span>`
      : state === 'low'
        ? html`<span class="warning-text" data-testid="runs-out-at">Under 24 hours: runs out ${runsOut}</span>`
        : '';
  const cls = state === 'critical' ? ' metric-danger' : state === 'low' ? ' metric-warning' : '';
  return html`<div class="metric${cls}" data-testid="hours-remaining-metric" data-state="${state}"><dt>Time remaining</dt><dd data-testid="hours-remaining">${formatHoursRemaining(hoursRemaining)}</dd>${note ? html`<dd class="metric-note">${note}</dd>` : ''}</div>`;
}

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

/**
 * Paid and promotional credit (the unspent credit blocks) and the next expiry:
 * "$12.00 promotional, expires 21 Dec".
 */
function creditKinds(data: LiveView) {
  const { summary } = data;
  const next = summary.nextExpiry;
  const what = summary.nextExpiryCategory === 'paid' ? ' paid' : summary.nextExpiryCategory === 'promotional' ? ' promotional' : '';
  return html`<p class="credit-kinds" data-testid="credit-kinds">
    <span data-testid="paid-credits">${formatMicros(summary.paidMicros)} paid</span> ·
    <span data-testid="promotional-credits">${formatMicros(summary.promotionalMicros)} promotional</span>${next
      ? html` · <span data-testid="next-expiry"><time datetime="${next.at}">${formatMicros(next.amountMicros)}${what}, expires ${formatDay(next.at)}</time></span>`
      : ''}
  </p>`;
}

/** Balance, burn rate, hours remaining, the open hour's accumulating usage, and paid and promotional credit. */
export function balancePanel(data: LiveView) {
  const { summary } = data;
  const nowMs = Date.parse(data.burn?.at ?? summary.updatedAt);
  // Money on its way (a Checkout not paid yet) is not spendable: said apart, never added in.
  const pendingMicros = data.history.data.filter((tx) => tx.status === 'pending' && tx.amountMicros > 0).reduce((sum, tx) => sum + tx.amountMicros, 0);
  return html`${zeroBalanceBanner(data)}
<section class="card" aria-labelledby="balance-title">
  <h2 id="balance-title">Credit balance</h2>
  <dl class="metrics">
    <div class="metric"><dt>Current balance</dt><dd data-testid="balance">${formatMicros(summary.balanceMicros)}</dd>${pendingMicros > 0 ? html`<dd class="metric-note" data-testid="pending-note">${formatMicros(pendingMicros)} pending, added once paid</dd>` : ''}</div>
    <div class="metric"><dt>Burn rate</dt><dd data-testid="burn-rate">${formatMicros(data.burn?.burnRateMicrosPerHour ?? summary.burnRateMicrosPerHour)}<span class="unit">/hour</span></dd><dd class="metric-note">running now + recent usage, below</dd></div>
    ${timeRemainingMetric(summary.hoursRemaining, nowMs)}
    <div class="metric"><dt>Accumulating this hour</dt><dd data-testid="accumulating">${formatMicros(summary.accumulatingMicros)}</dd></div>
    ${summary.heldMicros > 0 ? html`<div class="metric"><dt>Held</dt><dd data-testid="held">${formatMicros(summary.heldMicros)}</dd></div>` : ''}
  </dl>
  ${creditKinds(data)}
  ${burnBreakdown(data.burn)}
  <p class="hint">Updated ${summary.updatedAt.slice(11, 19)} UTC. Usage is settled hourly; the balance already excludes what is accumulating.</p>
</section>`;
}
