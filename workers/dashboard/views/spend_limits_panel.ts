import { html } from 'hono/html';
import { formatMicros } from '../format';
import type { DashboardSession } from '../../env';
import type { SpendLimitsPanelData } from '../spend_limits_data';

/** What a micro amount is in the limit form's dollar field (whole cents). */
const dollarsField = (micros: number) => (micros / 1_000_000).toFixed(2);

const periodText = (period: 'day' | 'month') => (period === 'day' ? 'per UTC day' : 'per calendar month');

/**
 * Spend limits per member: for a member their own (spent, held, remaining, when it resets); for an
 * admin every member, with a form to set, change or remove each one's limit.
 */
export function spendLimitsPanel(session: DashboardSession, data: SpendLimitsPanelData, heldMicros: number) {
  const byMember = new Map(data.limits.map((l) => [l.memberId, l]));
  const held = heldMicros > 0 ? html`<p class="hint" data-testid="held-credits">${formatMicros(heldMicros)} is held for work in progress (model streams, jobs) and not spendable until it is captured or released.</p>` : '';
  if (session.role !== 'admin') {
    const own = byMember.get(session.memberId);
    return html`<section class="card" id="spend-limits" aria-labelledby="spend-limits-title">
  <h2 id="spend-limits-title">Your spend limit</h2>
  ${held}
  ${own
    ? html`<dl class="settings" data-testid="own-spend-limit">
    <div><dt>Limit</dt><dd>${formatMicros(own.limitMicros)} ${periodText(own.period)}</dd></div>
    <div><dt>Spent</dt><dd data-testid="limit-spent">${formatMicros(own.spentMicros)}</dd></div>
    <div><dt>Held</dt><dd>${formatMicros(own.heldMicros)}</dd></div>
    <div><dt>Remaining</dt><dd data-testid="limit-remaining">${formatMicros(own.remainingMicros)}</dd></div>
    <div><dt>Resets</dt><dd>${own.resetsAt.slice(0, 16).replace('T', ' ')} UTC</dd></div>
  </dl>`
    : html`<p data-testid="own-spend-limit">No spend limit is set for you.</p>`}
</section>`;
  }
  return html`<section class="card" id="spend-limits" aria-labelledby="spend-limits-title">
  <h2 id="spend-limits-title">Spend limits</h2>
  ${held}
  <p class="hint">A member past their limit is refused new holds and charges until the period resets; usage already reported still counts.</p>
  <div class="history-scroll"><table class="limits-table" data-testid="spend-limits-table">
    <thead><tr><th scope="col">Member</th><th scope="col">Limit</th><th scope="col">Spent</th><th scope="col">Remaining</th><th scope="col">Change</th></tr></thead>
    <tbody>
    ${data.members.map((m) => {
      const limit = byMember.get(m.id);
      const field = `limit-${m.id}`;
      return html`<tr data-member="${m.id}">
      <th scope="row">${m.name}<br><span class="hint">${m.email}</span></th>
      <td data-label="Limit">${limit ? html`${formatMicros(limit.limitMicros)} ${periodText(limit.period)}` : 'None'}</td>
      <td data-label="Spent">${limit ? formatMicros(limit.spentMicros + limit.heldMicros) : '—'}${limit && limit.heldMicros > 0 ? html`<br><span class="hint">${formatMicros(limit.heldMicros)} held</span>` : ''}</td>
      <td data-label="Remaining">${limit ? formatMicros(limit.remainingMicros) : '—'}</td>
      <td class="cell-change">
        <form method="post" action="/dashboard/spend-limits" class="inline-form" data-testid="spend-limit-form">
          <input type="hidden" name="csrf" value="${session.csrfToken}">
          <input type="hidden" name="memberId" value="${m.id}">
          <label for="${field}" class="visually-hidden">Limit for ${m.name} (USD)</label>
          <div class="money-input"><span aria-hidden="true">$</span><input id="${field}" name="limit" inputmode="decimal" autocomplete="off" value="${limit ? dollarsField(limit.limitMicros) : ''}"></div>
          <label for="${field}-period" class="visually-hidden">Period</label>
          <select id="${field}-period" name="period">
            <option value="day" ${limit?.period === 'day' ? 'selected' : ''}>per day</option>
            <option value="month" ${limit?.period !== 'day' ? 'selected' : ''}>per month</option>
          </select>
          <button type="submit" name="action" value="save">Save</button>
          ${limit ? html`<button type="submit" name="action" value="remove" class="button-secondary">Remove</button>` : ''}
        </form>
      </td>
    </tr>`;
    })}
    </tbody>
  </table></div>
</section>`;
}
