// The hosted checkout page: amount due, line items, an accessible card form, and the outcome of
// the last attempt (a decline is announced with role="alert").
import { escapeHtml, layout } from '../lib/html.mjs';
import { formatAmount } from '../lib/money.mjs';

/**
 * @param {object} view
 * @param {Record<string, any>} view.session
 * @param {Array<Record<string, any>>} view.lineItems
 * @param {{ message: string } | null} [view.error] the decline or input error to show
 * @param {{ card?: string, email?: string, name?: string, exp?: string }} [view.values] what was typed
 */
export function checkoutPage({ session, lineItems, error = null, values = {} }) {
  const setup = session.mode === 'setup';
  const total = setup ? '' : formatAmount(session.amount_total, session.currency);
  const items = lineItems
    .map(
      (item) =>
        `<tr><td>${escapeHtml(item.description)}${item.quantity > 1 ? ` × ${item.quantity}` : ''}</td><td class="num">${escapeHtml(formatAmount(item.amount_total, item.currency))}</td></tr>`,
    )
    .join('\n');
  const email = values.email ?? session.customer_details?.email ?? session.customer_email ?? '';
  const errorBlock = error
    ? `<div id="payment-error" class="error" role="alert"><strong>Payment failed:</strong> ${escapeHtml(error.message)}</div>`
    : '';
  const summary = setup
    ? `<h1>Save a card with burnrate</h1>
<p id="amount-due">Nothing is charged now: the card is saved for later payments.</p>`
    : `<h1>Pay burnrate</h1>
<p>Amount due</p>
<p class="amount" id="amount-due">${escapeHtml(total)}</p>
<table aria-label="Order summary">
<thead><tr><th scope="col">Item</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>
${items}
</tbody>
</table>`;
  const body = `
${summary}
<form method="post" action="/c/pay/${escapeHtml(session.id)}" aria-describedby="${error ? 'payment-error' : 'amount-due'}">
${errorBlock}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" value="${escapeHtml(email)}">
<label for="card">Card number</label>
<input id="card" name="card" type="text" inputmode="numeric" autocomplete="cc-number" required
  aria-describedby="card-hint"${error ? ' aria-invalid="true"' : ''} value="${escapeHtml(values.card ?? '')}" placeholder="1234 1234 1234 1234">
<p id="card-hint" class="hint">Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined.</p>
<label for="exp">Expiry date (MM / YY)</label>
<input id="exp" name="exp" type="text" inputmode="numeric" autocomplete="cc-exp" value="${escapeHtml(values.exp ?? '12 / 34')}">
<label for="cvc">Security code (CVC)</label>
<input id="cvc" name="cvc" type="text" inputmode="numeric" autocomplete="cc-csc" value="123">
<label for="name">Name on card</label>
<input id="name" name="name" type="text" autocomplete="cc-name" value="${escapeHtml(values.name ?? '')}">
<button type="submit">${setup ? 'Save card' : `Pay ${escapeHtml(total)}`}</button>
</form>
${session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel and return</a></p>` : ''}
`;
  return layout({ title: setup ? 'Save a card · burnrate' : `Pay ${total} · burnrate`, body });
}

/**
 * The page for a session that can no longer be paid, or that has just been paid without a
 * success_url to go to.
 * @param {Record<string, any>} session
 */
export function closedSessionPage(session) {
  const total = session.mode === 'setup' ? '' : formatAmount(session.amount_total, session.currency);
  const done = session.mode === 'setup' ? 'Your card has been saved.' : `Thank you: ${escapeHtml(total)} has been paid.`;
  const body =
    session.status === 'complete'
      ? `<h1>${session.mode === 'setup' ? 'Card saved' : 'Payment complete'}</h1><p role="status">${done}</p>${
          session.success_url
            ? `<p><a href="${escapeHtml(session.success_url.replaceAll('{CHECKOUT_SESSION_ID}', session.id))}">Continue</a></p>`
            : ''
        }`
      : `<h1>This checkout session has expired</h1><p role="status">Nothing was paid. Start a new top-up to try again.</p>${
          session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Return</a></p>` : ''
        }`;
  return layout({ title: session.status === 'complete' ? 'Payment complete' : 'Checkout expired', body });
}

/** @param {string} message */
export function notFoundPage(message) {
  return layout({ title: 'Not found', body: `<h1>Not found</h1><p>${escapeHtml(message)}</p>` });
}
