// The monthly side of auto-recharge (contract "Auto-recharge modes"): what this UTC month's
// auto-recharge payments add up to, and what a recharge may charge under the monthly cap.
import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { DrizzleD1Database } from 'drizzle-orm/d1';
import { transactions } from '../../../schema/tables';
import { MICROS_PER_CENT } from '../../lib/money';

/** Stripe's own minimum is 50 cents; a recharge keeps the contract's top-up minimum ($5). */
export const MIN_RECHARGE_CENTS = 500;

/** Start of the UTC calendar month holding nowMs. */
export function utcMonthStartMs(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The UTC month as YYYY-MM (the once-a-month mark of auto_recharge.limit_reached). */
export function utcMonthKey(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 7);
}

/**
 * Cents of this UTC month's auto-recharge payments that completed or are still pending (a pending
 * one may yet be paid, so it counts against the cap; a failed one moved no money). Months are
 * those of the entry's creation (the moment the charge was made).
 */
export async function autoRechargeSpentThisMonthCents(db: DrizzleD1Database, workspaceId: string, nowMs: number): Promise<number> {
  const row = await db
    .select({ micros: sql<number>`COALESCE(SUM(${transactions.amountMicros}), 0)` })
    .from(transactions)
    .where(
      and(
        eq(transactions.workspaceId, workspaceId),
        eq(transactions.type, 'auto_recharge'),
        inArray(transactions.status, ['completed', 'pending']),
        gte(transactions.createdAtMs, utcMonthStartMs(nowMs)),
      ),
    )
    .get();
  return Math.floor((row?.micros ?? 0) / MICROS_PER_CENT);
}

/**
 * What a recharge of wantedCents may charge under the monthly cap: all of it when it fits, else
 * what is left of the month's cap when that is still at least the minimum, else nothing (0).
 */
export function cappedRechargeCents(wantedCents: number, limitCents: number | null, spentCents: number): number {
  if (limitCents === null) return wantedCents;
  const leftCents = Math.max(0, limitCents - spentCents);
  const cents = Math.min(wantedCents, leftCents);
  return cents >= MIN_RECHARGE_CENTS ? cents : 0;
}

/**
 * Target mode: what brings the spendable balance up to targetCents, rounded up to a whole cent and
 * at least the minimum recharge. Fixed mode: the fixed amount.
 */
export function wantedRechargeCents(mode: 'fixed' | 'target', fixedCents: number, targetCents: number | null, spendableMicros: number): number {
  if (mode !== 'target' || targetCents === null) return fixedCents;
  const gapMicros = targetCents * MICROS_PER_CENT - spendableMicros;
  return Math.max(MIN_RECHARGE_CENTS, Math.ceil(gapMicros / MICROS_PER_CENT));
}
