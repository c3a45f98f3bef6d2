import { html } from 'hono/html';
import { centsToField, formatCents } from '../format';
import type { DashboardData } from '../load_dashboard';
import { liveRegion, savedCardText } from './live_regions';

export interface AutoRechargeFormState {
  enabled?: boolean;
  threshold?: string;
  amount?: string;
  mode?: 'fixed' | 'target';
  target?: string;
  limit?: string;
  error?: string;
  saved?: boolean;
}

/** Auto-recharge: editable for admins, read-only for members. */
export function autoRechargeForm(data: DashboardData, state: AutoRechargeFormState = {}) {
  const current = data.autoTopup;
  // Live: a card saved by a Checkout payment shows here as soon as the webhook records it.
  const card = liveRegion('span', 'auto-recharge-card', savedCardText(data));
  if (data.session.role !== 'admin') {
    return html`<section class="card" id="auto-recharge" aria-labelledby="auto-recharge-title">
  <h2 id="auto-recharge-title">Auto-recharge</h2>
  <dl class="settings" data-testid="auto-recharge-readonly">
    <div><dt>Status</dt><dd>${current.enabled ? 'On' : 'Off'}</dd></div>
    <div><dt>When the balance falls below</dt><dd>${formatCents(current.thresholdCents)}</dd></div>
    <div><dt>Recharge amount</dt><dd>${current.mode === 'target' && current.targetCents !== null ? `Up to ${formatCents(current.targetCents)}` : formatCents(current.topupAmountCents)}</dd></div>
    <div><dt>Monthly limit</dt><dd>${current.monthlyLimitCents === null ? 'None' : formatCents(current.monthlyLimitCents)} (${formatCents(current.spentThisMonthCents)} this month)</dd></div>
    <div><dt>Payment method</dt><dd>${card}</dd></div>
  </dl>
  <p class="hint">Only workspace admins can change these settings.</p>
</section>`;
  }
  const enabled = state.enabled ?? current.enabled;
  const mode = state.mode ?? current.mode;
  const describedBy = (id: string) => `${id}-hint${state.error ? ' auto-recharge-error' : ''}`;
  return html`<section class="card" id="auto-recharge" aria-labelledby="auto-recharge-title">
  <h2 id="auto-recharge-title">Auto-recharge</h2>
  ${state.saved ? html`<p class="notice" role="status">Auto-recharge settings saved.</p>` : ''}
  <form method="post" action="/dashboard/auto-recharge" novalidate data-testid="auto-recharge-form">
    <input type="hidden" name="csrf" value="${data.session.csrfToken}">
    <label class="choice"><input type="checkbox" id="auto-enabled" name="enabled" value="on" ${enabled ? 'checked' : ''}> Recharge automatically</label>
    <label for="auto-threshold">When the balance falls below (USD)</label>
    <div class="money-input"><span aria-hidden="true">$</span><input id="auto-threshold" name="threshold" inputmode="decimal" autocomplete="off"
      value="${state.threshold ?? centsToField(current.thresholdCents)}" aria-describedby="${describedBy('auto-threshold')}"></div>
    <p id="auto-threshold-hint" class="hint">$0.00 to $10,000.00.</p>
    <label for="auto-amount">Recharge amount (USD)</label>
    <div class="money-input"><span aria-hidden="true">$</span><input id="auto-amount" name="amount" inputmode="decimal" autocomplete="off"
      value="${state.amount ?? centsToField(current.topupAmountCents)}" aria-describedby="${describedBy('auto-amount')}"></div>
    <p id="auto-amount-hint" class="hint">Minimum $5.00. Charged off-session to the saved card: ${card}.</p>
    <fieldset><legend>Each recharge</legend>
      <label class="choice"><input type="radio" name="mode" value="fixed" ${mode === 'fixed' ? 'checked' : ''}> Charges the recharge amount</label>
      <label class="choice"><input type="radio" name="mode" value="target" ${mode === 'target' ? 'checked' : ''}> Brings the balance up to the target</label>
    </fieldset>
    <label for="auto-target">Target balance (USD)</label>
    <div class="money-input"><span aria-hidden="true">$</span><input id="auto-target" name="target" inputmode="decimal" autocomplete="off"
      value="${state.target ?? (current.targetCents === null ? '' : centsToField(current.targetCents))}" aria-describedby="${describedBy('auto-target')}"></div>
    <p id="auto-target-hint" class="hint">Target mode only: above the threshold; at least $5.00 is charged.</p>
    <label for="auto-limit">Monthly limit (USD, optional)</label>
    <div class="money-input"><span aria-hidden="true">$</span><input id="auto-limit" name="limit" inputmode="decimal" autocomplete="off"
      value="${state.limit ?? (current.monthlyLimitCents === null ? '' : centsToField(current.monthlyLimitCents))}" aria-describedby="${describedBy('auto-limit')}"></div>
    <p id="auto-limit-hint" class="hint">At least $5.00; empty for none. ${formatCents(current.spentThisMonthCents)} recharged this month (UTC).</p>
    ${state.error ? html`<p id="auto-recharge-error" class="field-error" role="alert">${state.error}</p>` : ''}
    <button type="submit">Save auto-recharge</button>
  </form>
  <form method="post" action="/dashboard/cards" data-testid="card-setup-form">
    <input type="hidden" name="csrf" value="${data.session.csrfToken}">
    <p class="hint">Saved card: ${card}. A new card entered through Stripe (nothing is charged) becomes the one used here and for saved-card top-ups.</p>
    <button type="submit" class="secondary">${current.paymentMethod ? 'Replace card' : 'Add a card'}</button>
  </form>
</section>`;
}
