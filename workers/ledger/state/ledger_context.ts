import type { DrizzleD1Database } from 'drizzle-orm/d1';
import type { Env } from '../../env';
import { latestPriceVersion, loadPriceBook } from '../../usage/pricing';
import type { LedgerState } from './ledger_state';
import type { PaymentsPort } from '../payments_port';
import type { TransactionRow } from '../transaction_view';
import { directoryD1 } from '../../storage/databases';

/**
 * What the WorkspaceLedger object gives each of its concerns (entries, deposits, ingestion,
 * resources, settlement, enforcement): the bindings, D1, and its cached state, which only the
 * object owns. Every concern runs inside the object's serial queue turn.
 */
export interface LedgerContext {
  readonly env: Env;
  /** The workspace's ledger shard (known once load() has run): every ledger table is here. */
  readonly db: DrizzleD1Database;
  /** The same shard, raw, for batches of statements drizzle cannot carry. */
  readonly d1: D1Database;
  /** The directory D1: prices, Stripe customers, checkout sessions, processed Stripe events. */
  readonly directory: DrizzleD1Database;
  /** The card network, as the Worker's entry handed it to the object (payments_port.ts). */
  readonly payments: PaymentsPort;
  /** The cached state, read from D1 when there is none; null when the workspace does not exist. */
  load(workspaceId: string): Promise<LedgerState | null>;
  /** Forgets the cached state: the next load rebuilds it from D1. */
  dropState(): void;
  /**
   * Entries a D1 batch committed under callers' keys, added to the object's key index (which
   * decides replays of journaled entries without reading D1, see entry_journal.ts).
   */
  rememberKeys(rows: readonly TransactionRow[]): void;
}

export const notFound = { ok: false, code: 'not_found', message: 'No such workspace.' } as const;

/** The money rule for what can be spent: the settled balance less the usage accrued since, never below 0. */
export const spendableFrom = (settledBalanceMicros: number, accumulatingMicros: number): number => Math.max(0, settledBalanceMicros - accumulatingMicros);

/** What the workspace can spend now. */
export function spendableMicros(state: LedgerState, nowMs: number): number {
  return spendableFrom(state.balanceMicros, state.open.accumulatingMicros(nowMs, state.book));
}

/**
 * How stale the object's price book may be when it decides a write or prices events (unless the
 * caller knows a newer version): price lists change rarely and take effect from when they are put.
 */
export const WRITE_PRICE_CHECK_MS = 1_000;

/** The latest price version checked against the directory; the book reloaded only when a newer one exists. */
export async function refreshPrices(env: Env, state: LedgerState) {
  const latest = await latestPriceVersion(directoryD1(env));
  if (latest !== state.book.latestVersion) state.book = await loadPriceBook(directoryD1(env));
  state.pricesCheckedAtMs = Date.now();
}
