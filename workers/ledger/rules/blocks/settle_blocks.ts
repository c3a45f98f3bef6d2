// An hour's settlement and the credit blocks: its charge is funded from the blocks in burn-down order
// (blocks that expired before the hour began are not drawn), and every block expiring before the
// hour ends is removed after it, in the same D1 batch: one funding statement for all of it, however
// many blocks it touches.
import { newId } from '../../../lib/ids';
import { MS_PER_HOUR } from '../../../usage/exact_cost';
import { insertEntryRows, type PlainStatement } from '../../writes/group_batch';
import { moveBalance } from '../../writes/guarded_balance';
import { LedgerInvariantError } from '../../state/ledger_state';
import type { TransactionRow } from '../../transaction_view';
import { BlockDraws, fundedMicros } from './block_draws';
import type { BlockBook } from './block_book';
import { insertFunding, type EntryFunding } from './block_statements';
import type { CreditBlock } from './credit_block';
import { expirationRow } from './expiry';

export interface HourBlocks {
  draws: BlockDraws;
  /** What the hour's charge may draw on: the balance less blocks that expired before the hour. */
  availableMicros: number;
  skip: (block: CreditBlock) => boolean;
}

/** Before the hour is billed: what its charge may draw on. */
export function hourBlocks(book: BlockBook, balanceMicros: number, hourMs: number): HourBlocks {
  const draws = new BlockDraws(book);
  const skip = (b: CreditBlock) => b.expiresAtMs !== null && b.expiresAtMs < hourMs;
  let expiredMicros = 0;
  for (const b of book.list) if (skip(b)) expiredMicros += b.remainingMicros;
  return { draws, availableMicros: balanceMicros - expiredMicros, skip };
}

export interface HourBlockWrites {
  /** Statements after the hour's usage entry (expirations, then all funding). */
  statements: PlainStatement[];
  /** Index into `statements` of the guarded move of the expirations (null: none expire). */
  expiryMoveAt: number | null;
  expiredMicros: number;
  expirations: TransactionRow[];
}

/**
 * The hour's funding and expirations. `balanceAfterChargeMicros`: what D1 holds once the usage entry
 * is in, with the settled point moved to the hour's end (the guard of the expirations' balance move).
 */
export function hourBlockWrites(
  hb: HourBlocks,
  workspaceId: string,
  hourMs: number,
  usageTransactionId: string,
  chargedMicros: number,
  balanceAfterChargeMicros: number,
  nowMs: number,
): HourBlockWrites {
  const nextHourMs = hourMs + MS_PER_HOUR;
  const funding: EntryFunding[] = [];
  const usageLines = hb.draws.take(chargedMicros, { skip: hb.skip });
  if (fundedMicros(usageLines) !== chargedMicros) throw new LedgerInvariantError(`credit blocks cannot fund the ${chargedMicros} micros of hour ${hourMs}`);
  if (usageLines.length > 0) funding.push({ transactionId: usageTransactionId, lines: usageLines });

  // Expiring before the hour ends, soonest first (then in burn-down order: the book's order).
  const expiring = hb.draws.book.expiringBefore(nextHourMs).sort((a, b) => a.expiresAtMs! - b.expiresAtMs!);
  const expirations: TransactionRow[] = [];
  let balance = balanceAfterChargeMicros;
  let expiredMicros = 0;
  for (const block of expiring) {
    const line = hb.draws.takeAll(block);
    if (!line) continue;
    balance -= line.amountMicros;
    expiredMicros += line.amountMicros;
    const row = expirationRow(workspaceId, block, line.amountMicros, nowMs, balance, false, newId('txn', nowMs));
    expirations.push(row);
    funding.push({ transactionId: row.id, lines: [line] });
  }
  const statements: PlainStatement[] = [];
  let expiryMoveAt: number | null = null;
  if (expirations.length > 0) {
    expiryMoveAt = statements.length;
    statements.push(moveBalance({ workspaceId, balanceMicros: balanceAfterChargeMicros, open: { settledThroughMs: nextHourMs } }, -expiredMicros, nowMs));
    let running = balanceAfterChargeMicros;
    const packed = expirations.map((row) => {
      running += row.amountMicros;
      return { row, laterMicros: balance - running };
    });
    statements.push(insertEntryRows(workspaceId, nowMs, packed));
  }
  if (funding.length > 0) statements.push(...insertFunding(workspaceId, funding));
  return { statements, expiryMoveAt, expiredMicros, expirations };
}
