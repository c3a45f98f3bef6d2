import { html } from 'hono/html';
import { formatInteger, formatMicros, formatSeconds } from '../format';
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
    (m) => html`<tr><th scope="row">${m.model}</th><td class="num">${formatInteger(m.inputTokens)}</td><td class="num">${formatInteger(m.outputTokens)}</td><td class="num">${formatMicros(m.costMicros)}</td></tr>`,
  );
  const people = (usage.members ?? []).map(
    (m) =>
      html`<tr><th scope="row">${m.name}</th><td class="num">${formatInteger(m.usage.tokens.total)}</td><td class="num">${formatSeconds(m.usage.sandboxRuntime.settledSeconds + m.usage.sandboxRuntime.pendingSeconds + m.usage.sandboxRuntime.activeSeconds)}</td><td class="num">${formatInteger(m.usage.toolExecutions.count)}</td><td class="num">${formatMicros(m.usage.totalMicros)}</td></tr>`,
  );
  return html`<section class="card" id="usage" aria-labelledby="usage-title">
  <div class="section-head">
    <h2 id="usage-title">Usage</h2>
    <nav class="tabs" aria-label="Usage period">${periodLink('7d', '7 days')}${periodLink('30d', '30 days')}</nav>
  </div>
  <p class="hint">${usage.totals ? 'Whole workspace' : 'Your usage'}, ${usage.from.slice(0, 10)} to now: <strong data-testid="usage-total">${formatMicros(row.totalMicros)}</strong>.</p>
  <div class="charts">
    ${balanceChart(data.balanceSeries, domain, data.summary)}
    ${spendChart(data.spendByHour, domain, data.summary)}
  </div>
  <h3>By model</h3>
  <div class="table-scroll"><table data-testid="model-usage">
    <thead><tr><th scope="col">Model</th><th scope="col" class="num">Input tokens</th><th scope="col" class="num">Output tokens</th><th scope="col" class="num">Cost</th></tr></thead>
    <tbody>${models.length ? models : html`<tr><td colspan="4" class="empty">No model usage in this period.</td></tr>`}</tbody>
  </table></div>
  ${usage.members
    ? html`<h3>By member</h3>
  <div class="table-scroll"><table data-testid="member-usage">
    <thead><tr><th scope="col">Member</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Instance runtime</th><th scope="col" class="num">Tool runs</th><th scope="col" class="num">Total</th></tr></thead>
    <tbody>${people}</tbody>
  </table></div>`
    : ''}
</section>`;
}
