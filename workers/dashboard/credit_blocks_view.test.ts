// The dashboard's credit blocks: the balance panel shows paid and promotional credit and the next
// expiry ("$12.00 promotional, expires 21 Dec"); the history shows grants as credits (green, +) and
// expirations as debits; a usage row's details say what paid for it.
import { describe, expect, it } from 'vitest';
import type { CreditSummary } from '../ledger/ledger_types';
import { formatDay } from './format';
import type { LiveView } from './load_dashboard';
import { balancePanel } from './views/balance_panel';
import { historyTable } from './views/history_table';

const summary: CreditSummary = {
  balanceMicros: 19_000_000,
  accumulatingMicros: 0,
  burnRateMicrosPerHour: 0,
  hoursRemaining: null,
  paidMicros: 7_000_000,
  promotionalMicros: 12_000_000,
  heldMicros: 0,
  nextExpiry: { at: `${new Date().getUTCFullYear()}-12-21T00:00:00.000Z`, amountMicros: 12_000_000 },
  nextExpiryCategory: 'promotional',
  updatedAt: '2026-11-30T10:00:00.000Z',
  openSinceMs: 0,
};

const tx = (id: string, type: string, amountMicros: number) => ({
  id,
  createdAt: '2026-11-30T10:00:00.000Z',
  type,
  description: `${type} row`,
  amountMicros,
  status: 'completed',
  invoiceUrl: null,
  balanceAfterMicros: 0,
  forgivenMicros: 0,
});

const view = (patch: Partial<Record<keyof LiveView, unknown>>) =>
  ({
    session: { role: 'admin' },
    query: { period: '7d', payment: null },
    summary,
    zeroBalance: { terminatedAt: null, storageSuspendedAt: null },
    history: { data: [], nextCursor: null },
    usageLines: new Map(),
    ...patch,
  }) as unknown as LiveView;

describe('credit blocks on the dashboard', () => {
  it('the balance panel shows paid and promotional credit and the next expiry', () => {
    const markup = String(balancePanel(view({})));
    expect(markup).toContain('<span data-testid="paid-credits">$7.00 paid</span>');
    expect(markup).toContain('<span data-testid="promotional-credits">$12.00 promotional</span>');
    expect(markup).toContain('$12.00 promotional, expires 21 Dec');
    const none = String(balancePanel(view({ summary: { ...summary, nextExpiry: null, nextExpiryCategory: null } })));
    expect(none).not.toContain('expires');
  });

  it('grants are credits in green with a +, expirations debits; a usage row says what paid for it', () => {
    const usage = tx('txn_u', 'usage', -1_500_000);
    const markup = String(
      historyTable(
        view({
          history: { data: [tx('txn_g', 'grant', 5_000_000), tx('txn_e', 'expiration', -2_000_000), usage], nextCursor: null },
          usageFunding: new Map([
            [
              'txn_u',
              [
                { blockId: 'blk_a', category: 'promotional', amountMicros: 1_000_000 },
                { blockId: 'blk_b', category: 'paid', amountMicros: 500_000 },
              ],
            ],
          ]),
        }),
      ),
    );
    expect(markup).toMatch(/data-type="grant"[\s\S]*?class="amount cell-amount amount-in"[^>]*>\+\$5\.00</);
    expect(markup).toContain('<span class="tx-type">Grant</span>');
    expect(markup).toMatch(/data-type="expiration"[\s\S]*?class="amount cell-amount amount-out"[^>]*>-\$2\.00</);
    expect(markup).toContain('<span class="tx-type">Expiration</span>');
    expect(markup).toContain('Paid from $1.00 promotional and $0.50 paid credit');
  });

  it('days are written as "21 Dec", with the year when it is not this one', () => {
    expect(formatDay('2026-12-21T00:00:00.000Z', '2026-11-30T00:00:00.000Z')).toBe('21 Dec');
    expect(formatDay('2027-01-05T00:00:00.000Z', '2026-11-30T00:00:00.000Z')).toBe('5 Jan 2027');
  });
});
