// The page behind a PaymentIntent's next_action.redirect_to_url (Stripe's hosted 3-D Secure
// challenge): one button completes the authentication and the payment.
import { escapeHtml, layout } from '../lib/html.mjs';
import { formatAmount } from '../lib/money.mjs';

/** @param {Record<string, any>} pi */
export function authenticatePage(pi) {
  const amount = escapeHtml(formatAmount(pi.amount, pi.currency));
  const waiting = pi.status === 'requires_action';
  const body = waiting
    ? `
<h1>Confirm your payment (3-D Secure, Stripe emulator)</h1>
<p>Your bank asks you to confirm a payment of <strong id="amount">${amount}</strong>${pi.description ? ` for ${escapeHtml(pi.description)}` : ''}.</p>
<form method="post" action="/authenticate/${escapeHtml(pi.id)}">
  <button type="submit" id="complete-authentication">Complete authentication</button>
</form>`
    : `
<h1>${pi.status === 'succeeded' ? 'Payment confirmed' : 'Nothing to confirm'}</h1>
<p id="status">This payment of ${amount} is ${escapeHtml(pi.status)}.</p>`;
  return layout({ title: 'Confirm payment · burnrate', body });
}
