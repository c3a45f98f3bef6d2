import { html } from 'hono/html';
import { transactionStatuses, transactionTypes } from '../../../schema/tables';
import { formatDateTime, formatLineQuantity, formatMicros, formatMicrosExact } from '../format';
import type { LiveView } from '../load_dashboard';
import type { UsageLine } from '../usage_lines';
import type { FundingLineView } from '../../billing/read_transaction';

const TYPE_LABELS: Record<string, string> = {
  deposit: 'Deposit',
  usage: 'Usage',
  auto_recharge: 'Auto-Recharge',
  refund: 'Refund',
  dispute: 'Dispute',
  adjustment: 'Adjustment',
  grant: 'Grant',
  expiration: 'Expiration',
};

const STATUS_LABELS: Record<string, string> = {
  completed: 'Completed',
  pending: 'Pending',
  failed: 'Failed',
  accumulating: 'Accumulating',
};

/** The query string of the dashboard with some parameters changed (for filter and paging links). */
export function dashboardHref(data: LiveView, changes: Record<string, string | undefined>) {
  const params = new URLSearchParams();
  const merged: Record<string, string | undefined> = { type: data.query.type, status: data.query.status, cursor: data.query.cursor, period: data.query.period === '7d' ? undefined : data.query.period, ...changes };
  for (const [k, v] of Object.entries(merged)) if (v) params.set(k, v);
  const qs = params.toString();
  return `/dashboard${qs ? `?${qs}` : ''}`;
}

/** The filter form: plain GET, so filters live in the URL and work without script. */
export function historyFilters(data: LiveView) {
  const option = (value: string, label: string, selected: string | undefined) => html`<option value="${value}" ${selected === value ? 'selected' : ''}>${label}</option>`;
  return html`<form method="get" action="/dashboard" class="filters" aria-label="Filter transactions">
    ${data.query.period !== '7d' ? html`<input type="hidden" name="period" value="${data.query.period}">` : ''}
    <label for="filter-type">Type</label>
    <select id="filter-type" name="type">${option('', 'All types', data.query.type ?? '')}${transactionTypes.map((t) => option(t, TYPE_LABELS[t] ?? t, data.query.type))}</select>
    <label for="filter-status">Status</label>
    <select id="filter-status" name="status">${option('', 'All statuses', data.query.status ?? '')}${transactionStatuses.map((s) => option(s, STATUS_LABELS[s] ?? s, data.query.status))}</select>
    <button type="submit">Apply</button>
  </form>`;
}

/** What paid for a usage row: its credit blocks' parts, by category ("Paid from $1.00 promotional and $0.50 paid credit"). */
function fundingNote(funding: FundingLineView[] | undefined) {
  if (!funding?.length) return '';
  const byCategory = new Map<string, number>();
  for (const f of funding) byCategory.set(f.category, (byCategory.get(f.category) ?? 0) + f.amountMicros);
  const parts = [...byCategory].map(([category, micros]) => `${formatMicros(micros)} ${category}`);
  return html`<p class="tx-funding" data-testid="funding">Paid from ${parts.join(' and ')} credit</p>`;
}

/** A settled usage row opens its lines (what was charged for what) and what paid for it, without script: <details>. */
function usageLinesDetails(transactionId: string, lines: UsageLine[] | undefined, funding?: FundingLineView[]) {
  if (!lines?.length && !funding?.length) return '';
  const count = lines?.length ?? 0;
  return html`<details class="tx-lines" data-details-for="${transactionId}">
        <summary>${count === 0 ? 'Paid from' : count === 1 ? '1 line' : `${count} lines`}</summary>
        ${count > 0
          ? html`<ul>${lines!.map(
              (l) => html`<li data-amount-micros="${l.amountMicros}"><span class="line-description">${l.description}</span> <span class="line-quantity">${formatLineQuantity(l.quantity, l.unit)}</span> <span class="line-amount" title="${formatMicrosExact(l.amountMicros, { signed: true })}">${formatMicros(l.amountMicros, { signed: true })}</span></li>`,
            )}</ul>`
          : ''}
        ${fundingNote(funding)}
      </details>`;
}

/**
 * "Cancel" on a pending Checkout top-up's row, for admins: the same form post (CSRF token) and route
 * as the cancel after coming back from Checkout. It expires the Checkout session, so that it can no
 * longer be paid, and marks the top-up Failed.
 */
function cancelPendingForm(data: LiveView, tx: LiveView['history']['data'][number]) {
  if (data.session.role !== 'admin' || tx.type !== 'deposit' || tx.status !== 'pending') return '';
  return html`<form method="post" action="/dashboard/checkout/cancel" class="row-action" data-testid="cancel-pending-form">
        <input type="hidden" name="csrf" value="${data.session.csrfToken}">
        <input type="hidden" name="txn" value="${tx.id}">
        <input type="hidden" name="back" value="history">
        <button type="submit" class="button-link">Cancel<span class="visually-hidden"> the pending top-up ${tx.description}</span></button>
      </form>`;
}

/** Download CSV: the same filters as the table, every page (streamed by the server). */
export function historyActions(data: LiveView) {
  const params = new URLSearchParams();
  if (data.query.type) params.set('type', data.query.type);
  if (data.query.status) params.set('status', data.query.status);
  const qs = params.toString();
  return html`<a class="button button-secondary" href="/dashboard/history.csv${qs ? `?${qs}` : ''}" download data-testid="download-csv">Download CSV<span class="visually-hidden"> of ${data.query.type || data.query.status ? 'the filtered' : 'the whole'} history</span></a>`;
}

/**
 * The transaction table and its pager (the part the live updates replace). Below 640 px the
 * stylesheet lays each row out as a card (description and amount, date and status, invoice link),
 * so nothing of a row is ever off screen sideways.
 */
export function historyTable(data: LiveView) {
  const { history } = data;
  const rows = history.data.map((tx) => {
    const amount = formatMicros(tx.amountMicros, { signed: true });
    const exact = formatMicrosExact(tx.amountMicros, { signed: true });
    // A failed payment moved no money: its amount is struck through. A pending one has not moved
    // any yet: neutral, never the green of credited money, and not in the balance.
    const amountClass = tx.status === 'failed' ? 'amount-void' : tx.status === 'pending' ? 'amount-pending' : tx.amountMicros > 0 ? 'amount-in' : tx.amountMicros < 0 ? 'amount-out' : '';
    const amountCell =
      tx.status === 'failed'
        ? html`<s>${amount}</s><span class="visually-hidden"> (not charged)</span>`
        : tx.status === 'pending'
          ? html`${amount}<span class="amount-note">not in balance yet</span>`
          : amount;
    return html`<tr data-transaction-id="${tx.id}" data-status="${tx.status}" data-type="${tx.type}">
      <td class="cell-date"><time datetime="${tx.createdAt}">${formatDateTime(tx.createdAt)}</time></td>
      <td class="cell-description">${tx.description}<span class="tx-type">${TYPE_LABELS[tx.type] ?? tx.type}</span>${usageLinesDetails(tx.id, data.usageLines.get(tx.id), data.usageFunding?.get(tx.id))}</td>
      ${tx.invoiceUrl
        ? html`<td class="cell-invoice"><a href="${tx.invoiceUrl}" target="_blank" rel="noopener noreferrer" data-testid="invoice-link">Invoice<span class="visually-hidden"> for ${tx.description}</span></a></td>`
        : html`<td class="cell-invoice cell-invoice-none"><span aria-label="none">—</span></td>`}
      <td class="amount cell-amount ${amountClass}" data-amount-micros="${tx.amountMicros}" title="${exact}" data-testid="amount">${amountCell}</td>
      <td class="cell-status"><span class="badge badge-${tx.status}" data-testid="status">${STATUS_LABELS[tx.status] ?? tx.status}</span>${cancelPendingForm(data, tx)}</td>
    </tr>`;
  });
  return html`<table class="transactions" data-testid="transactions">
    <caption class="visually-hidden">Transactions, newest first</caption>
    <thead><tr><th scope="col">Date</th><th scope="col">Description</th><th scope="col">Invoice</th><th scope="col" class="amount">Amount</th><th scope="col">Status</th></tr></thead>
    <tbody>${rows.length ? rows : html`<tr><td colspan="5" class="empty">No transactions${data.query.type || data.query.status ? ' match these filters' : ' yet'}.</td></tr>`}</tbody>
  </table>
  <nav class="pager" aria-label="Transaction pages">
    ${data.query.cursor ? html`<a href="${dashboardHref(data, { cursor: undefined })}#history">Newest</a>` : ''}
    ${history.nextCursor ? html`<a href="${dashboardHref(data, { cursor: history.nextCursor })}#history" rel="next" data-testid="older-page">Older</a>` : ''}
  </nav>`;
}
