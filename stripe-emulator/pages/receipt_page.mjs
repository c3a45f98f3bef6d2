// The page behind a charge's receipt_url (Stripe's hosted payment receipt).
import { escapeHtml, layout } from '../lib/html.mjs';
import { formatAmount } from '../lib/money.mjs';

/** @param {Record<string, any>} charge */
export function receiptPage(charge) {
  const card = charge.payment_method_details?.card;
  const refunded = charge.amount_refunded > 0 ? `<p>Refunded: <strong id="amount-refunded">${escapeHtml(formatAmount(charge.amount_refunded, charge.currency))}</strong></p>` : '';
  const body = `
<h1>Receipt from burnrate (Stripe emulator)</h1>
<p>Amount paid: <strong id="amount-paid">${escapeHtml(formatAmount(charge.amount_captured, charge.currency))}</strong></p>
<p>Date paid: <time datetime="${new Date(charge.created * 1000).toISOString()}">${new Date(charge.created * 1000).toUTCString()}</time></p>
${card ? `<p>Payment method: ${escapeHtml(card.brand)} •••• ${escapeHtml(card.last4)}</p>` : ''}
${charge.description ? `<p>${escapeHtml(charge.description)}</p>` : ''}
${refunded}
<p class="hint">Receipt ${escapeHtml(charge.id)}</p>
`;
  return layout({ title: 'Receipt · burnrate', body });
}
