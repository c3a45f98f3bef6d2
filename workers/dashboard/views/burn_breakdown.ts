import { html } from 'hono/html';
import type { BurnBreakdown } from '../../ledger/ledger_types';
import { formatDateTime, formatQuantity, formatRate } from '../format';

// The burn rate in its two parts, each explained in a line: what runs now (it goes on costing
// until it stops) and recent usage (tokens, tools and charges of the trailing hour: it fades as
// that hour passes, and is why the rate is not zero after every instance stopped).

type Running = BurnBreakdown['running'][number];

const resourceName = (r: Running) =>
  r.kind === 'instance' ? `Instance ${r.instanceType ?? ''}`.trim() : `Volume ${formatQuantity((r.sizeBytes ?? 0) / 1_000_000_000)} GB`;

function runningItem(r: Running) {
  return html`<li class="running-item" data-testid="running-item" data-resource-id="${r.resourceId}" data-micros-per-hour="${r.microsPerHour}">
      <span class="running-name">${resourceName(r)}</span>
      <span class="running-meta"><code>${r.resourceId}</code> · since ${formatDateTime(r.startedAt)}</span>
      <span class="running-rate">${formatRate(r.microsPerHour)}</span>
    </li>`;
}

export function burnBreakdown(burn: BurnBreakdown | null) {
  if (!burn) return '';
  return html`<div class="burn-split" data-testid="burn-split">
  <section class="burn-part" aria-labelledby="running-title" data-testid="burn-running">
    <h3 id="running-title">Running now <span class="burn-rate" data-testid="running-rate" data-micros-per-hour="${burn.runningMicrosPerHour}">${formatRate(burn.runningMicrosPerHour)}</span></h3>
    <p class="hint">Instances and volumes that are on now. They cost this every hour until they are stopped.</p>
    ${burn.running.length
      ? html`<ul class="running-list" data-testid="running-list" aria-label="Running instances and volumes">${burn.running.map(runningItem)}</ul>`
      : html`<p class="running-none" data-testid="running-none">Nothing is running.</p>`}
  </section>
  <section class="burn-part" aria-labelledby="recent-title" data-testid="burn-recent">
    <h3 id="recent-title">Recent usage <span class="burn-rate" data-testid="recent-rate" data-micros-per-hour="${burn.recentMicrosPerHour}">${formatRate(burn.recentMicrosPerHour)}</span></h3>
    <p class="hint">Model tokens, tool runs and charges of the last hour. Nothing keeps it going: it falls to zero as that hour passes without new usage.</p>
  </section>
</div>`;
}
