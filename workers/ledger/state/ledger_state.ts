import type { OpenUsage } from '../../usage/open_usage';
import type { PriceBook } from '../../usage/pricing';
import type { WorkspaceFlags } from '../enforcement/enforcement_plan';
import type { BlockBook } from '../rules/blocks/block_book';
import type { LedgerAlerts } from '../enforcement/alerts/alert_rules';

// What the ledger object holds in memory, and the one error for a broken money invariant. Apart
// from load_state.ts (which reads the state from D1) so that the money rules (blocks/, holds/) can
// name both without importing the loader, which imports them back.

export interface LedgerState {
  workspaceId: string;
  /** Settled balance: the sum of completed ledger entries (what D1's balances row holds). */
  balanceMicros: number;
  updatedAtMs: number;
  /** When the workspace was created: usage and resources before it are refused. */
  createdAtMs: number;
  /** D1's record of the oldest hour with events held here (balances.oldest_open_event_hour_ms). */
  oldestOpenEventHourMs: number | null;
  open: OpenUsage;
  book: PriceBook;
  /** When the price list was last compared with D1's. */
  pricesCheckedAtMs: number;
  flags: WorkspaceFlags;
  /** The open credit blocks, in burn-down order: their remainders add up to balanceMicros. */
  blocks: BlockBook;
  /**
   * False while the workspace's credit predates blocks (migration 0003): the object then makes its
   * blocks (blocks/backfill_blocks.ts) before it uses this state.
   */
  blocksReady: boolean;
  /** Alert settings and what was last told (alerts/alert_rules.ts), written only by the object. */
  alerts: LedgerAlerts;
}

export class LedgerInvariantError extends Error {}
