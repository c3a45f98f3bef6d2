import { html } from 'hono/html';
import type { PaymentMethodView } from '../../billing/payment_methods';
import { formatCard } from '../format';
import type { DashboardData } from '../load_dashboard';

const expiry = (card: PaymentMethodView) => `${String(card.expMonth).padStart(2, '0')}/${card.expYear}`;

/** One card: brand, last 4, expiry and the default badge; for admins, its two forms. */
function cardRow(data: DashboardData, card: PaymentMethodView) {
  const csrf = html`<input type="hidden" name="csrf" value="${data.session.csrfToken}">`;
  const label = formatCard(card);
  const actions =
    data.session.role === 'admin'
      ? html`<span class="card-actions">
      ${card.default ? '' : html`<form method="post" action="/dashboard/cards/${card.id}/default">${csrf}<button type="submit" class="button-link" aria-label="Make ${label} the default card">Make default</button></form>`}
      <form method="post" action="/dashboard/cards/${card.id}/remove">${csrf}<button type="submit" class="button-link" aria-label="Remove ${label}">Remove</button></form>
    </span>`
      : '';
  return html`<li class="saved-card" data-testid="saved-card" data-card-id="${card.id}">
    <span class="card-label">${label}</span> <span class="hint">expires ${expiry(card)}</span>
    ${card.default ? html`<span class="badge badge-default" data-testid="default-badge">Default</span>` : ''}
    ${actions}
  </li>`;
}

/**
 * The workspace's cards at Stripe. Admins add one (Stripe Checkout in setup mode: it becomes the
 * default), choose the default (saved-card top-ups and auto-recharge charge it) and remove one;
 * members see the list.
 */
export function cardsSection(data: DashboardData) {
  const admin = data.session.role === 'admin';
  const list =
    data.cards === null
      ? html`<p class="notice notice-error" role="status" data-testid="cards-unavailable">Cards are unavailable right now (Stripe did not list them). Balance and history on this page are up to date; reload to try again.</p>`
      : data.cards.length === 0
        ? html`<p data-testid="no-cards">No card is saved yet. A card paid with at Checkout is saved here.</p>`
        : html`<ul class="saved-cards" aria-label="Saved cards">${data.cards.map((card) => cardRow(data, card))}</ul>`;
  return html`<section class="card" id="cards" aria-labelledby="cards-title">
  <h2 id="cards-title">Cards</h2>
  ${list}
  ${
    admin
      ? html`<form method="post" action="/dashboard/cards" data-testid="card-add-form">
    <input type="hidden" name="csrf" value="${data.session.csrfToken}">
    <button type="submit" class="secondary">Add a card</button>
    <p class="hint">Entered on Stripe's page; nothing is charged. The new card becomes the default.</p>
  </form>`
      : html`<p class="hint">Only workspace admins can change cards.</p>`
  }
</section>`;
}
