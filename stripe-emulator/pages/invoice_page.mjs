// The page behind an invoice's hosted_invoice_url.
import { escapeHtml, layout } from '../lib/html.mjs';
import { formatAmount } from '../lib/money.mjs';

/** @param {Record<string, any>} invoice */
export function invoicePage(invoice) {
  const paidAt = invoice.status_transitions.paid_at;
  const lines = invoice.lines.data
    .map(
      (/** @type {Record<string, any>} */ line) =>
        `<tr><td>${escapeHtml(line.description)}</td><td class="num">${escapeHtml(line.quantity)}</td><td class="num">${escapeHtml(formatAmount(line.amount, line.currency))}</td></tr>`,
    )
    .join('\n');
  const body = `
<h1>Invoice ${escapeHtml(invoice.number)}</h1>
<p>From ${escapeHtml(invoice.account_name)}${invoice.customer_email ? ` to ${escapeHtml(invoice.customer_email)}` : ''}</p>
<p>Status: <strong id="invoice-status">${escapeHtml(invoice.status === 'paid' ? 'Paid' : invoice.status)}</strong>${
    paidAt ? ` on <time datetime="${new Date(paidAt * 1000).toISOString()}">${new Date(paidAt * 1000).toUTCString()}</time>` : ''
  }</p>
<table aria-label="Invoice lines">
<thead><tr><th scope="col">Description</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>
${lines}
</tbody>
<tfoot><tr><th scope="row" colspan="2">Amount paid</th><td class="num" id="amount-paid">${escapeHtml(formatAmount(invoice.amount_paid, invoice.currency))}</td></tr></tfoot>
</table>
${invoice.description ? `<p>${escapeHtml(invoice.description)}</p>` : ''}
${invoice.footer ? `<p class="hint">${escapeHtml(invoice.footer)}</p>` : ''}
`;
  return layout({ title: `Invoice ${invoice.number}`, body });
}
