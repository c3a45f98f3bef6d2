import { html } from 'hono/html';
import { formatDateTime, formatInteger, formatMicros, formatMicrosExact, formatSeconds } from '../format';
import type { DashboardData } from '../load_dashboard';
import { chartDomain } from '../chart_scale';
import { balanceChart, spendChart } from './charts';
import { dashboardHref } from './history_table';

/** When the period's charts have something to show from (a balance carried in counts from the start). */
function firstActivityMs(data: DashboardData, fromMs: number): number | null {
  const [carried, ...changes] = data.balanceSeries;
  if (carried && carried.balanceMicros !== 0) return fromMs;
  const candidates = [changes[0]?.atMs, data.spendByHour[0]?.hourMs, data.summary.accumulatingMicros > 0 ? data.summary.openSinceMs : undefined];
  const known = candidates.filter((ms): ms is number => typeof ms === 'number' && ms > 0);
  return known.length ? Math.min(...known) : null;
}

/** A model name with break opportunities after its separators (`claude-sonnet-4` → `claude-<wbr>sonnet-<wbr>4`), never mid-word. */
export function breakableName(name: string) {
  return html`${name.split(/(?<=[-_/.:@])/).map((part, i) => (i === 0 ? part : html`<wbr>${part}`))}`;
}

type Row = NonNullable<DashboardData['usage']['totals']>;
const runtimeSeconds = (row: Row) => row.sandboxRuntime.settledSeconds + row.sandboxRuntime.pendingSeconds + row.sandboxRuntime.activeSeconds;

/** One By-member row; every cell names its column for the phone layout (a card per row). */
function memberRow(name: unknown, row: Row, attributes: { testid: string; memberId?: string }) {
  return html`<tr data-testid="${attributes.testid}"${attributes.memberId ? html` data-member-id="${attributes.memberId}"` : ''} data-total-micros="${row.totalMicros}">
      <th scope="row" class="cell-name">${name}</th>
      <td class="num" data-label="Tokens">${formatInteger(row.tokens.total)}</td>
      <td class="num" data-label="Runtime">${formatSeconds(runtimeSeconds(row))}</td>
      <td class="num" data-label="Tool runs">${formatInteger(row.toolExecutions.count)}</td>
      <td class="num cell-total" data-label="Total" title="${formatMicrosExact(row.totalMicros)}">${formatMicros(row.totalMicros)}</td>
    </tr>`;
}

/** Usage: the charts for 7 or 30 days, per-model and (admins) per-member tables. */
export function usageSection(data: DashboardData) {
  const { usage, query } = data;
  const row = usage.totals ?? usage.usage;
  const fromMs = Date.parse(usage.from);
  const toMs = Date.parse(usage.to);
  const domain = chartDomain(fromMs, toMs, firstActivityMs(data, fromMs));
  const periodLink = (period: '7d' | '30d', label: string) =>
    html`<a href="${dashboardHref(data, { period: period === '7d' ? undefined : period, cursor: undefined })}#usage" ${query.period === period ? html`aria-current="page" class="tab tab-current"` : html`class="tab"`}>${label}</a>`;
  const models = row.modelUsage.map(
    (m) =>
      html`<tr><th scope="row" class="cell-name">${breakableName(m.model)}</th><td class="num" data-label="Input tokens">${formatInteger(m.inputTokens)}</td><td class="num" data-label="Output tokens">${formatInteger(m.outputTokens)}</td><td class="num cell-total" data-label="Cost" title="${formatMicrosExact(m.costMicros)}">${formatMicros(m.costMicros)}</td></tr>`,
  );
  const people = (usage.members ?? []).map((m) => memberRow(m.name, m.usage, { testid: 'member-row', memberId: m.memberId }));
  // The workspace's total is the one the spend chart adds up to: what settled hours charged plus
  // what the open hours have accumulated (the same lines, priced the same way).
  const since = formatDateTime(usage.from);
  const totalLine = usage.totals
    ? html`Whole workspace since ${since}: <strong data-testid="usage-total" data-total-micros="${row.totalMicros}" title="${formatMicrosExact(row.totalMicros)}">${formatMicros(row.totalMicros)}</strong>, what the spend chart adds up to (settled hours and the open hour's accumulating usage).`
    : html`Your usage since ${since}: <strong data-testid="usage-total" data-total-micros="${row.totalMicros}" title="${formatMicrosExact(row.totalMicros)}">${formatMicros(row.totalMicros)}</strong>. The charts show the whole workspace.`;
  return html`<section class="card" id="usage" aria-labelledby="usage-title">
  <div class="section-head">
    <h2 id="usage-title">Usage</h2>
    <nav class="tabs" aria-label="Usage period">${periodLink('7d', '7 days')}${periodLink('30d', '30 days')}</nav>
  </div>
  <p class="hint">${totalLine}</p>
  <div class="charts">
    ${balanceChart(data.balanceSeries, domain, data.summary)}
    ${spendChart(data.spendByHour, domain, data.summary)}
  </div>
  <h3>By model</h3>
  <div class="table-scroll"><table class="usage-table" data-testid="model-usage">
    <thead><tr><th scope="col">Model</th><th scope="col" class="num">Input tokens</th><th scope="col" class="num">Output tokens</th><th scope="col" class="num">Cost</th></tr></thead>
    <tbody>${models.length ? models : html`<tr><td colspan="4" class="empty">No model usage in this period.</td></tr>`}</tbody>
  </table></div>
  ${usage.members
    ? html`<h3>By member</h3>
  <div class="table-scroll"><table class="usage-table" data-testid="member-usage">
    <thead><tr><th scope="col">Member</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Instance runtime</th><th scope="col" class="num">Tool runs</th><th scope="col" class="num">Total</th></tr></thead>
    <tbody>${people}${usage.unattributed ? memberRow(html`Unattributed<span class="tx-type">reported without a member</span>`, usage.unattributed, { testid: 'unattributed-row' }) : ''}</tbody>
    ${usage.totals ? html`<tfoot>${memberRow('Workspace', usage.totals, { testid: 'member-total-row' })}</tfoot>` : ''}
  </table></div>`
    : ''}
</section>`;
}
