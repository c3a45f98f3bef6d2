import { html, raw } from 'hono/html';
import { fnv1a } from '../dashboard_assets';
import { formatCard } from '../format';
import type { LiveView } from '../load_dashboard';
import { paymentNotice } from '../payment_notice';
import { balancePanel } from './balance_panel';
import { historyTable } from './history_table';
import type { Html } from './html';

// The parts of the page that follow the ledger by themselves: the page renders each inside an
// element carrying the hash of its markup, and /dashboard/live sends the same markup again; app.js
// swaps a region only when the hash differs. (Comparing hashes, not the DOM's innerHTML, means a
// region is never replaced just because the browser serializes `checked` as `checked=""`.)

type RegionId = 'notice-region' | 'balance-region' | 'history-region' | 'auto-recharge-card' | 'topup-saved-card';

/** A live region's element: `<div id=… data-live-hash=…>markup</div>`. Contents must be synchronous markup. */
export function liveRegion(tag: 'div' | 'span', id: RegionId, content: Html | string, attributes: Record<string, string> = {}) {
  const markup = String(content);
  const extra = Object.entries(attributes).map(([k, v]) => html` ${raw(k)}="${v}"`);
  return html`<${raw(tag)} id="${id}" data-live-hash="${fnv1a(markup)}"${extra}>${raw(markup)}</${raw(tag)}>`;
}

/** The notice about the payment the browser came back from, as the deposit is now. */
export function paymentNoticeContent(view: LiveView) {
  if (!view.query.payment) return '';
  const notice = paymentNotice(view.query.payment, view.paymentTx);
  return html`<p class="notice notice-${notice.kind}" data-testid="notice" data-notice-status="${view.paymentTx?.status ?? 'unknown'}">${notice.text}</p>`;
}

/** The saved card as auto-recharge names it (escaped: the brand comes from Stripe). */
export const savedCardText = (view: LiveView) => html`${view.autoTopup.paymentMethod ? formatCard(view.autoTopup.paymentMethod) : 'none saved yet'}`;

/**
 * The saved card as a choice of Add Credits, live only on a page served before any card was saved
 * (never checked: the choice the user made stays theirs until they pick this one).
 */
export const savedCardOption = (view: LiveView) =>
  view.session.role === 'admin' && view.autoTopup.paymentMethod
    ? html`<label class="choice"><input type="radio" name="method" value="saved"> Saved card: ${formatCard(view.autoTopup.paymentMethod)}</label>`
    : '';

/** Every live region's markup, for /dashboard/live (the notice only when the URL names a payment). */
export function liveRegionMarkup(view: LiveView): Partial<Record<RegionId, string>> {
  return {
    ...(view.query.payment ? { 'notice-region': String(paymentNoticeContent(view)) } : {}),
    'balance-region': String(balancePanel(view)),
    'history-region': String(historyTable(view)),
    'auto-recharge-card': String(savedCardText(view)),
    'topup-saved-card': String(savedCardOption(view)),
  };
}
