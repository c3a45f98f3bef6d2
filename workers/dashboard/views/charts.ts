import { html } from 'hono/html';
import type { CreditSummary } from '../../ledger/ledger_types';
import { bucketOf, bucketStartMs, HOUR_MS, moneyTicks, type ChartDomain } from '../chart_scale';
import { formatDateTime, formatInteger, formatMicros, formatMicrosPrecise } from '../format';
import type { BalancePoint, SpendCategory, SpendHour } from '../spend_series';
import { spendCategories } from '../spend_series';

// Charts are server-rendered SVG: no chart library, nothing to download, readable without script.
// Each has round money ticks, time ticks, the open hour drawn apart (hatched or dashed: its usage
// is accumulating, not settled), the latest values written on the chart, tooltips (<title>) on
// the marks, and a table with the same numbers for screen readers. Coordinates are layout only;
// money stays integer micros until formatted.

const WIDTH = 360;
const HEIGHT = 200;
const PAD_LEFT = 48;
const PAD_RIGHT = 12;
const PAD_TOP = 22;
const PAD_BOTTOM = 30;
const PLOT_W = WIDTH - PAD_LEFT - PAD_RIGHT;
const PLOT_H = HEIGHT - PAD_TOP - PAD_BOTTOM;
const BASELINE = HEIGHT - PAD_BOTTOM;
/** At most this many tooltip dots on the balance line (the most recent changes). */
const MAX_DOTS = 120;

export const CATEGORY_LABELS: Record<SpendCategory, string> = {
  instances: 'Instances',
  storage: 'Storage',
  model_tokens: 'Model tokens',
  tools: 'Tools',
  charges: 'Other charges',
};

const r1 = (n: number) => Math.round(n * 10) / 10;
const domainEndMs = (d: ChartDomain) => d.startMs + d.buckets * d.bucketMs;
const xAt = (d: ChartDomain, atMs: number) => r1(PAD_LEFT + ((Math.min(Math.max(atMs, d.startMs), domainEndMs(d)) - d.startMs) / (domainEndMs(d) - d.startMs)) * PLOT_W);
const yAt = (micros: number, topMicros: number) => r1(PAD_TOP + (1 - micros / Math.max(1, topMicros)) * PLOT_H);

const isoOf = (ms: number) => new Date(ms).toISOString();
const bucketLabel = (d: ChartDomain, startMs: number) =>
  d.bucketMs === HOUR_MS ? `${isoOf(startMs).slice(0, 10)} ${isoOf(startMs).slice(11, 13)}:00–${isoOf(startMs + HOUR_MS).slice(11, 13)}:00 UTC` : `${isoOf(startMs).slice(0, 10)} (UTC day)`;

/** A tick's text: whole dollars when the step is whole dollars (`$1,000`), cents or finer otherwise. */
function tickText(micros: number, stepMicros: number) {
  return stepMicros % 1_000_000 === 0 ? `$${formatInteger(micros / 1_000_000)}` : formatMicrosPrecise(micros);
}

/** Round money gridlines and their labels, the axis names, and the time ticks. */
function axes(d: ChartDomain, scale: ReturnType<typeof moneyTicks>) {
  const grid = scale.ticks.map((t) => {
    const y = yAt(t, scale.topMicros);
    return html`<line x1="${PAD_LEFT}" x2="${WIDTH - PAD_RIGHT}" y1="${y}" y2="${y}" class="${t === 0 ? 'baseline' : 'gridline'}" />
      <text x="${PAD_LEFT - 4}" y="${r1(y + 4)}" class="axis" text-anchor="end">${tickText(t, scale.stepMicros)}</text>`;
  });
  // About six time labels, on whole hours (00:00 shows the date) or whole days.
  const hourly = d.bucketMs === HOUR_MS;
  const every = hourly ? [1, 2, 3, 4, 6, 12, 24].find((k) => d.buckets / k <= 6) ?? 24 : [1, 2, 3, 5, 7, 10, 14].find((k) => d.buckets / k <= 6) ?? 14;
  const times = [];
  for (let i = 0; i < d.buckets; i++) {
    const startMs = bucketStartMs(d, i);
    const hourOfDay = new Date(startMs).getUTCHours();
    if (hourly ? hourOfDay % every !== 0 : i % every !== 0) continue;
    const label = hourly && hourOfDay !== 0 ? `${isoOf(startMs).slice(11, 13)}:00` : isoOf(startMs).slice(5, 10);
    const x = hourly ? xAt(d, startMs) : r1(xAt(d, startMs) + PLOT_W / d.buckets / 2);
    times.push(html`<line x1="${x}" x2="${x}" y1="${BASELINE}" y2="${BASELINE + 4}" class="baseline" /><text x="${x}" y="${BASELINE + 15}" class="axis" text-anchor="middle">${label}</text>`);
  }
  return html`${grid}${times}
    <text x="4" y="12" class="axis axis-name">USD</text>
    <text x="${WIDTH - PAD_RIGHT}" y="${HEIGHT - 2}" class="axis axis-name" text-anchor="end">${hourly ? 'hour' : 'day'}, UTC</text>`;
}

/** The open hour's band, labelled: its usage is accumulating and not settled yet. */
function openHourBand(d: ChartDomain) {
  const x1 = xAt(d, d.openHourMs);
  const x2 = Math.max(xAt(d, d.openHourMs + HOUR_MS), r1(x1 + 2));
  return html`<rect x="${x1}" y="${PAD_TOP}" width="${r1(x2 - x1)}" height="${PLOT_H}" class="open-band"><title>The open hour (since ${formatDateTime(isoOf(d.openHourMs))}): usage accumulates here and settles when the hour closes.</title></rect>
    <text x="${r1(Math.min(x2, WIDTH - PAD_RIGHT))}" y="${PAD_TOP - 6}" class="axis open-label" text-anchor="end">open hour</text>`;
}

/** The settled balance as steps (it holds its value until the next entry), then the open hour dashed. */
export function balanceChart(points: BalancePoint[], d: ChartDomain, summary: Pick<CreditSummary, 'balanceMicros' | 'accumulatingMicros'>) {
  const sorted = [...points].sort((a, b) => a.atMs - b.atMs);
  const atStart = sorted.filter((p) => p.atMs <= d.startMs).pop()?.balanceMicros ?? 0;
  const changes = sorted.filter((p) => p.atMs > d.startMs);
  const settledNow = changes[changes.length - 1]?.balanceMicros ?? atStart;
  const nowMs = d.endMs;
  const scale = moneyTicks(Math.max(atStart, summary.balanceMicros, ...changes.map((p) => p.balanceMicros), 1));
  const y = (m: number) => yAt(m, scale.topMicros);

  // An empty workspace has no balance to draw before its first entry: the line starts there.
  const lineStartMs = atStart === 0 && changes.length > 0 ? changes[0]!.atMs : d.startMs;
  let line = `M${xAt(d, lineStartMs)},${y(atStart)}`;
  for (const p of changes) line += ` H${xAt(d, p.atMs)} V${y(p.balanceMicros)}`;
  // Settled steps until the open hour (or the last entry in it); from there to now the spendable
  // balance falls as usage accumulates: a dashed slope down to the balance of now.
  const openFromMs = Math.max(d.openHourMs, d.startMs, changes[changes.length - 1]?.atMs ?? 0);
  line += ` H${xAt(d, openFromMs)}`;
  const area = `${line} V${BASELINE} H${xAt(d, lineStartMs)} Z`;
  const openLine = `M${xAt(d, openFromMs)},${y(settledNow)} L${xAt(d, nowMs)},${y(summary.balanceMicros)}`;
  const dots = changes.slice(-MAX_DOTS).map(
    (p) => html`<circle cx="${xAt(d, p.atMs)}" cy="${y(p.balanceMicros)}" r="2.5" class="balance-dot"><title>${formatDateTime(isoOf(p.atMs))}: balance ${formatMicros(p.balanceMicros)}</title></circle>`,
  );
  const nowX = xAt(d, nowMs);
  const nowY = y(summary.balanceMicros);
  const labelY = nowY < PAD_TOP + 14 ? nowY + 14 : nowY - 6;

  // The table: the balance at the end of each bucket where it changed, then now.
  const rows: Array<{ when: string; balanceMicros: number }> = [{ when: `Start, ${formatDateTime(isoOf(d.startMs))}`, balanceMicros: atStart }];
  for (let i = 0, j = 0, value = atStart; i < d.buckets; i++) {
    const endMs = bucketStartMs(d, i + 1);
    let changed = false;
    while (j < changes.length && changes[j]!.atMs < endMs) (value = changes[j]!.balanceMicros), j++, (changed = true);
    if (changed) rows.push({ when: `End of ${bucketLabel(d, bucketStartMs(d, i))}`, balanceMicros: value });
  }
  rows.push({ when: 'Now, spendable (open hour\'s usage subtracted)', balanceMicros: summary.balanceMicros });

  const summaryText = `Balance from ${formatDateTime(isoOf(d.startMs))}: ${formatMicros(atStart)} at the start, ${formatMicros(settledNow)} settled, ${formatMicros(summary.balanceMicros)} spendable now. Table below.`;
  return html`<figure class="chart" data-testid="balance-chart">
    <figcaption>Balance</figcaption>
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${summaryText}" data-chart="balance" data-points="${changes.length + 1}">
      ${openHourBand(d)}
      ${axes(d, scale)}
      <path d="${area}" class="balance-area" />
      <path d="${line}" class="balance-line" />
      <path d="${openLine}" class="balance-open" />
      ${dots}
      <circle cx="${nowX}" cy="${nowY}" r="3.5" class="balance-now"><title>Now: ${formatMicros(summary.balanceMicros)} spendable</title></circle>
      <text x="${nowX}" y="${labelY}" class="value-label" text-anchor="end" data-testid="balance-now-label">${formatMicros(summary.balanceMicros)} now</text>
    </svg>
    <ul class="legend"><li><span class="swatch swatch-line" aria-hidden="true"></span>Settled balance</li><li><span class="swatch swatch-dashed" aria-hidden="true"></span>Open hour (accumulating)</li></ul>
    <div class="visually-hidden"><table data-testid="balance-table">
      <caption>Balance over time</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Balance</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr><th scope="row">${r.when}</th><td>${formatMicros(r.balanceMicros)}</td></tr>`)}</tbody>
    </table></div>
  </figure>`;
}

interface SpendBucket {
  startMs: number;
  byCategory: Record<SpendCategory, number>;
  settledMicros: number;
}

/** Settled spend per bucket (hour or day) and category, the open hour's accumulating usage hatched on top. */
export function spendChart(hours: SpendHour[], d: ChartDomain, summary: Pick<CreditSummary, 'accumulatingMicros'>) {
  const buckets: SpendBucket[] = Array.from({ length: d.buckets }, (_, i) => ({
    startMs: bucketStartMs(d, i),
    byCategory: { instances: 0, storage: 0, model_tokens: 0, tools: 0, charges: 0 },
    settledMicros: 0,
  }));
  const totals = Object.fromEntries(spendCategories.map((c) => [c, 0])) as Record<SpendCategory, number>;
  for (const h of hours) {
    const bucket = buckets[bucketOf(d, h.hourMs)]!;
    for (const c of spendCategories) {
      bucket.byCategory[c] += h.byCategory[c];
      bucket.settledMicros += h.byCategory[c];
      totals[c] += h.byCategory[c];
    }
  }
  const openIndex = bucketOf(d, d.openHourMs);
  const openMicros = Math.max(0, summary.accumulatingMicros);
  const scale = moneyTicks(Math.max(1, ...buckets.map((b, i) => b.settledMicros + (i === openIndex ? openMicros : 0))));
  const y = (m: number) => yAt(m, scale.topMicros);
  const slot = PLOT_W / d.buckets;
  const barWidth = r1(Math.max(2, slot * 0.72));
  const barX = (i: number) => r1(PAD_LEFT + i * slot + (slot - barWidth) / 2);

  const bars = buckets.map((b, i) => {
    let stacked = 0;
    const segments = spendCategories.map((c) => {
      const value = b.byCategory[c];
      if (value <= 0) return null;
      const top = y(stacked + value);
      const bottom = y(stacked);
      stacked += value;
      return html`<rect x="${barX(i)}" y="${top}" width="${barWidth}" height="${Math.max(0.5, r1(bottom - top))}" class="cat-${c}"><title>${bucketLabel(d, b.startMs)}: ${CATEGORY_LABELS[c]} ${formatMicros(value)}</title></rect>`;
    });
    if (i === openIndex && openMicros > 0) {
      const top = y(stacked + openMicros);
      segments.push(
        html`<rect x="${barX(i)}" y="${top}" width="${barWidth}" height="${Math.max(1, r1(y(stacked) - top))}" class="open-usage" data-testid="open-hour-bar"><title>Open hour, accumulating (not settled yet): ${formatMicros(openMicros)}</title></rect>`,
      );
    }
    return segments;
  });

  // Written on the chart: the last settled bucket with spend, and the open hour.
  const lastSettled = buckets.map((b, i) => ({ b, i })).filter(({ b }) => b.settledMicros > 0).pop();
  const labels = [];
  const sharesOpen = openMicros > 0 && lastSettled?.i === openIndex;
  if (lastSettled) {
    const top = lastSettled.b.settledMicros + (sharesOpen ? openMicros : 0);
    const text = sharesOpen ? `${formatMicros(lastSettled.b.settledMicros)} + ${formatMicros(openMicros)} so far` : formatMicros(lastSettled.b.settledMicros);
    labels.push(html`<text x="${r1(barX(lastSettled.i) + barWidth / 2)}" y="${r1(Math.max(PAD_TOP + 10, y(top) - 4))}" class="value-label" text-anchor="${lastSettled.i > d.buckets / 2 ? 'end' : 'start'}" data-testid="spend-last-label">${text}</text>`);
  }
  if (openMicros > 0 && !sharesOpen) {
    const openTop = buckets[openIndex]!.settledMicros + openMicros;
    labels.push(html`<text x="${r1(barX(openIndex) + barWidth)}" y="${r1(Math.max(PAD_TOP + 10, y(openTop) - 4))}" class="value-label value-open" text-anchor="end" data-testid="spend-open-label">${formatMicros(openMicros)} so far</text>`);
  }

  const total = spendCategories.reduce((sum, c) => sum + totals[c], 0);
  const unit = d.bucketMs === HOUR_MS ? 'Hour' : 'Day';
  const cadence = d.bucketMs === HOUR_MS ? 'Hourly' : 'Daily';
  const tableRows = buckets.filter((b, i) => b.settledMicros > 0 || (i === openIndex && openMicros > 0));
  return html`<figure class="chart" data-testid="spend-chart">
    <figcaption>${cadence} spend by category</figcaption>
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${cadence} settled spend, ${formatMicros(total)} in all${openMicros > 0 ? `, plus ${formatMicros(openMicros)} accumulating in the open hour` : ''}. Table below." data-chart="spend" data-hours="${hours.length}">
      ${openHourBand(d)}
      ${axes(d, scale)}
      ${bars}
      ${labels}
      ${hours.length === 0 && openMicros === 0 ? html`<text x="${PAD_LEFT + PLOT_W / 2}" y="${PAD_TOP + PLOT_H / 2}" class="axis" text-anchor="middle">No spend in this period</text>` : ''}
    </svg>
    <ul class="legend">
      ${spendCategories.map((c) => html`<li><span class="swatch cat-${c}" aria-hidden="true"></span>${CATEGORY_LABELS[c]} <strong data-category-total="${c}">${formatMicros(totals[c])}</strong></li>`)}
      <li><span class="swatch open-usage" aria-hidden="true"></span>Open hour, accumulating <strong data-testid="open-hour-total">${formatMicros(openMicros)}</strong></li>
      <li class="legend-total">Total <strong data-testid="spend-total" data-total-micros="${total + openMicros}">${formatMicros(total + openMicros)}</strong></li>
    </ul>
    <div class="visually-hidden"><table data-testid="spend-table">
      <caption>${cadence} spend by category${tableRows.length ? '' : ': none in this period'}</caption>
      <thead><tr><th scope="col">${unit} (UTC)</th>${spendCategories.map((c) => html`<th scope="col">${CATEGORY_LABELS[c]}</th>`)}<th scope="col">Open hour, accumulating</th><th scope="col">Total</th></tr></thead>
      <tbody>${tableRows.map((b) => {
        const open = bucketOf(d, b.startMs) === openIndex ? openMicros : 0;
        return html`<tr><th scope="row">${bucketLabel(d, b.startMs)}</th>${spendCategories.map((c) => html`<td>${formatMicros(b.byCategory[c])}</td>`)}<td>${formatMicros(open)}</td><td>${formatMicros(b.settledMicros + open)}</td></tr>`;
      })}</tbody>
    </table></div>
  </figure>`;
}
