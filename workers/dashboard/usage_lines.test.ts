// A settled usage row opens its lines; rows without lines (or a reader that knows none) stay as they were.
import { describe, expect, it } from 'vitest';
import { formatQuantity } from './format';
import type { LiveView } from './load_dashboard';
import { readUsageLines, type UsageLine } from './usage_lines';
import { historyTable } from './views/history_table';

const usageTx = {
  id: 'txn_usage_1',
  createdAt: '2026-11-30T10:00:00.000Z',
  type: 'usage' as const,
  description: 'Usage 2026-11-30 09:00–10:00 UTC',
  amountMicros: -2_252_300,
  status: 'completed' as const,
  invoiceUrl: null,
  balanceAfterMicros: 17_747_700,
  forgivenMicros: 0,
};

const viewWith = (usageLines: Map<string, UsageLine[]>) =>
  ({
    session: { role: 'admin' },
    query: { period: '7d', payment: null },
    history: { data: [usageTx], nextCursor: null },
    usageLines,
  }) as unknown as LiveView;

describe('usage lines in the history', () => {
  it('shows the lines of a settled usage row in a <details>, amounts signed', () => {
    const lines: UsageLine[] = [
      { kind: 'instance', description: 'GPU instance gpu-a10g', quantity: 2700, unit: 'seconds', amountMicros: -1_840_000 },
      { kind: 'model', description: 'gpt-4o <output>', quantity: 41_250, unit: 'tokens', amountMicros: -412_300 },
    ];
    expect(lines.reduce((s, l) => s + l.amountMicros, 0)).toBe(usageTx.amountMicros);
    const markup = String(historyTable(viewWith(new Map([[usageTx.id, lines]]))));
    expect(markup).toContain('<details class="tx-lines" data-details-for="txn_usage_1">');
    expect(markup).toContain('<summary>2 lines</summary>');
    expect(markup).toContain('<span class="line-quantity">2,700 seconds</span> <span class="line-amount" title="-$1.840000">-$1.84</span>');
    expect(markup).toContain('<span class="line-quantity">41,250 tokens</span> <span class="line-amount" title="-$0.412300">-$0.41</span>');
    // Descriptions are escaped like every other text.
    expect(markup).toContain('gpt-4o &lt;output&gt;');
  });

  it('shows nothing extra when no lines are known', async () => {
    const known = await readUsageLines({} as never, 'ws_x', []);
    expect(known.size).toBe(0);
    expect(String(historyTable(viewWith(known)))).not.toContain('<details');
  });

  it('formats quantities with thousands and up to three decimals', () => {
    expect(formatQuantity(41_250)).toBe('41,250');
    expect(formatQuantity(0.75)).toBe('0.75');
    expect(formatQuantity(1234.5678)).toBe('1,234.568');
    expect(formatQuantity(3)).toBe('3');
  });
});
