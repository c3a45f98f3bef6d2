// Expiry of credit blocks: one `expiration` entry per block, taking its remainder (funded from the
// block itself), keyed `expire:<block id>` so that however many paths reach it (the alarm, an hour's
// settlement, a void, a retry after an eviction) it is recorded once.
import type { TransactionRow } from '../../transaction_view';
import type { CreditBlock } from './credit_block';
import type { OpenUsage } from '../../../usage/open_usage';

export const expirationKey = (blockId: string): string => `expire:${blockId}`;

export function expirationDescription(block: CreditBlock, voided: boolean): string {
  const what = `${block.category} credit from ${block.source === 'auto_recharge' ? 'an auto-recharge' : `a ${block.source}`}`;
  return voided ? `Grant voided: remaining ${what} removed` : `Expired: remaining ${what}`;
}

/** The completed `expiration` entry removing `micros` of `block` (0 for a void of a spent grant). */
export function expirationRow(workspaceId: string, block: CreditBlock, micros: number, nowMs: number, balanceAfterMicros: number, voided: boolean, id: string): TransactionRow {
  return {
    seq: 0,
    id,
    workspaceId,
    idempotencyKey: expirationKey(block.id),
    requestHash: 'expiration',
    type: 'expiration',
    status: 'completed',
    description: expirationDescription(block, voided),
    amountMicros: -micros,
    forgivenMicros: 0,
    balanceAfterMicros,
    invoiceUrl: null,
    memberId: null,
    createdAtMs: nowMs,
    settledAtMs: nowMs,
  };
}

/**
 * True when nothing of the workspace's usage is open (no unsettled events, nothing running or
 * unsettled): a block then expires within 60 s of its expiresAt, by the object's alarm. Otherwise
 * the settlement of the hour containing its expiresAt removes it (that hour may still draw on it).
 */
export const nothingOpen = (open: OpenUsage): boolean => open.oldestBillableHourMs() === null;

/**
 * When the alarm must wake for expiries: the soonest expiresAt of an open block, if nothing is open
 * then (or now); null when no block expires. When usage is open the hour's settlement removes it, and
 * the settlement alarm is armed for that already.
 */
export function expiryAlarmMs(blocks: readonly CreditBlock[], open: OpenUsage, nowMs: number): number | null {
  const dueNowCounts = nothingOpen(open);
  let next: number | null = null;
  for (const b of blocks) {
    if (b.expiresAtMs === null || (b.expiresAtMs <= nowMs && !dueNowCounts)) continue;
    if (next === null || b.expiresAtMs < next) next = b.expiresAtMs;
  }
  return next;
}
