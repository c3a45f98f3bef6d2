import { html } from 'hono/html';
import { centsToField, formatCard } from '../format';
import type { DashboardData } from '../load_dashboard';
import { liveRegion, savedCardOption } from './live_regions';

export interface TopupFormState {
  amount?: string;
  method?: 'saved' | 'new';
  error?: string;
}

/** Add Credits: amount (minimum $5), the saved card or a new one through Stripe Checkout. */
export function topupForm(data: DashboardData, state: TopupFormState = {}) {
  if (data.session.role !== 'admin') {
    return html`<section class="card" id="add-credits" aria-labelledby="add-credits-title">
  <h2 id="add-credits-title">Add Credits</h2>
  <p>Only workspace admins can add credits.</p>
</section>`;
  }
  const saved = data.autoTopup.paymentMethod;
  const method = state.method ?? (saved ? 'saved' : 'new');
  const describedBy = `topup-amount-hint${state.error ? ' topup-amount-error' : ''}`;
  return html`<section class="card" id="add-credits" aria-labelledby="add-credits-title">
  <h2 id="add-credits-title">Add Credits</h2>
  <form method="post" action="/dashboard/topup" novalidate data-testid="topup-form">
    <input type="hidden" name="csrf" value="${data.session.csrfToken}">
    <input type="hidden" name="idempotencyKey" value="${data.formKey}">
    <label for="topup-amount">Amount (USD)</label>
    <div class="money-input"><span aria-hidden="true">$</span><input id="topup-amount" name="amount" inputmode="decimal" autocomplete="off"
      value="${state.amount ?? centsToField(2500)}" aria-describedby="${describedBy}" ${state.error ? html`aria-invalid="true"` : ''}></div>
    <p id="topup-amount-hint" class="hint">Minimum $5.00, maximum $10,000.00. 1 credit = 1 USD.</p>
    ${state.error ? html`<p id="topup-amount-error" class="field-error" role="alert">${state.error}</p>` : ''}
    <fieldset>
      <legend>Payment method</legend>
      ${saved
        ? html`<label class="choice"><input type="radio" name="method" value="saved" ${method === 'saved' ? 'checked' : ''}> Saved card: ${formatCard(saved)}</label>`
        : liveRegion('div', 'topup-saved-card', savedCardOption(data))}
      <label class="choice"><input type="radio" name="method" value="new" ${method === 'new' ? 'checked' : ''}> A new card (Stripe Checkout)</label>
    </fieldset>
    <button type="submit">Confirm</button>
  </form>
</section>`;
}
