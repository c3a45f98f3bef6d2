import { html } from 'hono/html';
import type { DashboardData } from '../load_dashboard';
import { autoRechargeForm, type AutoRechargeFormState } from './auto_recharge_form';
import { balancePanel } from './balance_panel';
import { cardsSection } from './cards_section';
import { historyActions, historyFilters, historyTable } from './history_table';
import { liveRegion, paymentNoticeContent } from './live_regions';
import { layout } from './layout';
import { topupForm, type TopupFormState } from './topup_form';
import { usageSection } from './usage_section';
import { spendLimitsPanel } from './spend_limits_panel';
import { alertsPanel } from './alerts_panel';
import type { AlertsFormState } from '../alerts_form';
import { recentAlertsPanel } from './recent_alerts_panel';

export interface PageState {
  notice?: { kind: 'info' | 'success' | 'error'; text: string };
  /** Back from Checkout through cancel with the deposit still pending: the button that cancels it. */
  cancelCheckout?: { transactionId: string };
  topup?: TopupFormState;
  autoRecharge?: AutoRechargeFormState;
  alerts?: AlertsFormState;
}

/**
 * "Cancel this top-up": a form post (CSRF token, admins only), never the cancel link itself, since
 * a GET anyone can be sent to must not change a payment. Members see the notice without it.
 */
function cancelCheckoutForm(data: DashboardData, transactionId: string) {
  if (data.session.role !== 'admin') return '';
  return html`<form method="post" action="/dashboard/checkout/cancel" class="inline-form" data-testid="cancel-checkout-form">
  <input type="hidden" name="csrf" value="${data.session.csrfToken}">
  <input type="hidden" name="txn" value="${transactionId}">
  <button type="submit">Cancel this top-up</button>
</form>`;
}

/** The whole dashboard. The balance and history regions are also served alone for live updates. */
export function dashboardPage(data: DashboardData, liveUrl: string, state: PageState = {}) {
  return layout({
    title: 'Billing · burnrate',
    session: data.session,
    body: html`<h1 class="page-title">Billing</h1>
${data.query.payment
  ? liveRegion('div', 'notice-region', paymentNoticeContent(data), { role: 'status' })
  : state.notice ? html`<p class="notice notice-${state.notice.kind}" role="status" data-testid="notice">${state.notice.text}</p>` : ''}
${state.cancelCheckout ? cancelCheckoutForm(data, state.cancelCheckout.transactionId) : ''}
${data.actionRequired
  ? html`<p class="notice notice-error" role="alert" data-testid="action-required">Your bank wants you to confirm an auto-recharge (3-D Secure). <a href="${data.actionRequired.actionUrl}" rel="noopener">Confirm the payment</a> to add the credits.</p>`
  : ''}
<p id="live-status" class="visually-hidden" role="status" aria-live="polite"></p>
<div data-live-url="${liveUrl}" data-pending="${data.pending ? 'true' : 'false'}">
  ${liveRegion('div', 'balance-region', balancePanel(data))}
  <div class="columns">
    ${topupForm(data, state.topup)}
    ${autoRechargeForm(data, state.autoRecharge)}
  </div>
  ${cardsSection(data)}
  ${spendLimitsPanel(data.session, data.spendLimits, data.summary.heldMicros)}
  ${alertsPanel(data.session, data.alerts, state.alerts)}
  ${recentAlertsPanel(data.recentAlerts)}
  <section class="card" id="history" aria-labelledby="history-title">
    <div class="section-head">
      <h2 id="history-title">Transaction history</h2>
      ${historyActions(data)}
    </div>
    ${historyFilters(data)}
    ${liveRegion('div', 'history-region', historyTable(data), { class: 'history-scroll' })}
  </section>
  ${usageSection(data)}
</div>`,
  });
}
