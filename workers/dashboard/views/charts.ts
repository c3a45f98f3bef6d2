import { html } from 'hono/html';
import type { BalancePoint, SpendCategory, SpendHour } from '../spend_series';
import { spendCategories } from '../spend_series';
import { formatDateTime, formatMicros } from '../format';

// Charts are server-rendered SVG: no chart library, nothing to download, readable without script.
// Coordinates are layout only; money values stay integers and are formatted for the labels.

const WIDTH = 640;
const HEIGHT = 180;
const PAD_LEFT = 8;
const PAD_RIGHT = 8;
const PAD_TOP = 12;
const PAD_BOTTOM = 22;
const HOUR_MS = 3_600_000;

export const CATEGORY_LABELS: Record<SpendCategory, string> = {
  instances: 'Instances',
  storage: 'Storage',
  model_tokens: 'Model tokens',
  tools: 'Tools',
  charges: 'Other charges',
};

const x = (atMs: number, fromMs: number, toMs: number) => PAD_LEFT + ((atMs - fromMs) / Math.max(1, toMs - fromMs)) * (WIDTH - PAD_LEFT - PAD_RIGHT);
const y = (value: number, max: number) => PAD_TOP + (1 - value / Math.max(1, max)) * (HEIGHT - PAD_TOP - PAD_BOTTOM);
const round1 = (n: number) => Math.round(n * 10) / 10;

function axisLabels(fromMs: number, toMs: number) {
  return html`<text x="${PAD_LEFT}" y="${HEIGHT - 6}" class="axis">${formatDateTime(new Date(fromMs).toISOString()).slice(0, 10)}</text>
    <text x="${WIDTH - PAD_RIGHT}" y="${HEIGHT - 6}" class="axis" text-anchor="end">now</text>`;
}

/** The balance as a step line: it holds its value until the next entry moves it. */
export function balanceChart(points: BalancePoint[], fromMs: number, toMs: number) {
  const max = Math.max(...points.map((p) => p.balanceMicros), 1);
  let d = '';
  points.forEach((p, i) => {
    const px = round1(x(Math.max(p.atMs, fromMs), fromMs, toMs));
    const py = round1(y(p.balanceMicros, max));
    d += i === 0 ? `M${px},${py}` : ` H${px} V${py}`;
  });
  d += ` H${WIDTH - PAD_RIGHT}`;
  const last = points[points.length - 1]?.balanceMicros ?? 0;
  const summary = `Balance over the period: from ${formatMicros(points[0]?.balanceMicros ?? 0)} to ${formatMicros(last)}, highest ${formatMicros(max)}.`;
  return html`<figure class="chart">
    <figcaption>Balance</figcaption>
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${summary}" data-chart="balance" data-points="${points.length}">
      <line x1="${PAD_LEFT}" x2="${WIDTH - PAD_RIGHT}" y1="${HEIGHT - PAD_BOTTOM}" y2="${HEIGHT - PAD_BOTTOM}" class="baseline" />
      <text x="${PAD_LEFT}" y="${PAD_TOP - 2}" class="axis">${formatMicros(max)}</text>
      <path d="${d}" class="balance-line" />
      ${axisLabels(fromMs, toMs)}
    </svg>
  </figure>`;
}

/** Hourly settled spend as stacked bars, one colour per category, with a legend and totals. */
export function spendChart(hours: SpendHour[], fromMs: number, toMs: number) {
  const hourCount = Math.max(1, Math.ceil((toMs - fromMs) / HOUR_MS));
  const barWidth = Math.max(0.6, round1((WIDTH - PAD_LEFT - PAD_RIGHT) / hourCount - 0.4));
  const totals = Object.fromEntries(spendCategories.map((c) => [c, 0])) as Record<SpendCategory, number>;
  let max = 1;
  for (const h of hours) {
    let sum = 0;
    for (const c of spendCategories) {
      totals[c] += h.byCategory[c];
      sum += h.byCategory[c];
    }
    max = Math.max(max, sum);
  }
  const bars = hours.map((h) => {
    let stacked = 0;
    return spendCategories.map((c) => {
      const value = h.byCategory[c];
      if (value <= 0) return null;
      const top = y(stacked + value, max);
      const bottom = y(stacked, max);
      stacked += value;
      return html`<rect x="${round1(x(h.hourMs, fromMs, toMs))}" y="${round1(top)}" width="${barWidth}" height="${Math.max(0.5, round1(bottom - top))}" class="cat-${c}"><title>${formatDateTime(new Date(h.hourMs).toISOString())}: ${CATEGORY_LABELS[c]} ${formatMicros(value)}</title></rect>`;
    });
  });
  const total = spendCategories.reduce((sum, c) => sum + totals[c], 0);
  return html`<figure class="chart">
    <figcaption>Hourly spend by category</figcaption>
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Hourly settled spend, ${formatMicros(total)} in all; totals per category in the legend." data-chart="spend" data-hours="${hours.length}">
      <line x1="${PAD_LEFT}" x2="${WIDTH - PAD_RIGHT}" y1="${HEIGHT - PAD_BOTTOM}" y2="${HEIGHT - PAD_BOTTOM}" class="baseline" />
      <text x="${PAD_LEFT}" y="${PAD_TOP - 2}" class="axis">${hours.length ? `${formatMicros(max)}/h` : 'No spend in this period'}</text>
      ${bars}
      ${axisLabels(fromMs, toMs)}
    </svg>
    <ul class="legend">
      ${spendCategories.map((c) => html`<li><span class="swatch cat-${c}" aria-hidden="true"></span>${CATEGORY_LABELS[c]} <strong data-category-total="${c}">${formatMicros(totals[c])}</strong></li>`)}
    </ul>
  </figure>`;
}
