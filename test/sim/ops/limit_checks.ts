// What the spend-limit invariant (`spend_limit_respected`) checks where it can see it: right after a
// hold or deduction of a member with a limit was granted, at the same simulated instant (the clock
// stands still within a step). The member's spend in the period is at least its direct debits in
// D1 (deductions and captures with its memberId: charged plus forgiven, from the period's start) plus
// its active holds; usage events and resources only add to that, so a grant that leaves this lower
// bound above the limit was wrong whatever the usage was. (A capture may pass the limit: it is never
// refused; the next grant must then be.)
import { shardD1Of } from '../../helpers/ledger_checks';
import { ledgerStubOf, type SimLimit, type SimWorkspace, type World } from '../world';

const DAY_MS = 86_400_000;

export function periodStartMs(period: 'day' | 'month', nowMs: number): number {
  if (period === 'day') return Math.floor(nowMs / DAY_MS) * DAY_MS;
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The limits the member may have now; null when it certainly has none (never set, or removed for sure). */
export function possibleLimits(ws: SimWorkspace, memberId: string | null | undefined): SimLimit[] | null {
  if (!memberId) return null;
  const limits = ws.limits.get(memberId);
  return !limits || limits.every((l) => l === null) ? null : limits;
}

/** The member's spend in the period that contains now, as far as D1 and the object's holds show it (a lower bound). */
export async function spendLowerBound(ws: SimWorkspace, memberId: string, period: 'day' | 'month', nowMs: number): Promise<{ debits: number; held: number }> {
  const stub = ledgerStubOf(ws.workspaceId);
  const projected = await stub.projected();
  if (!projected.ok) throw new Error(`projection failed: ${projected.message}`);
  const row = await shardD1Of(ws.workspaceId)
    .prepare(
      `SELECT COALESCE(SUM(forgiven_micros - amount_micros), 0) AS micros FROM transactions
        WHERE workspace_id = ? AND member_id = ? AND type = 'usage' AND status = 'completed'
          AND idempotency_key NOT LIKE 'settle:%' AND created_at_ms >= ?`,
    )
    .bind(ws.workspaceId, memberId, periodStartMs(period, nowMs))
    .first<{ micros: number }>();
  const holds = await stub.listHolds(ws.workspaceId);
  if (!holds.ok) throw new Error(`listing holds failed: ${holds.message}`);
  const held = holds.value.filter((h) => h.memberId === memberId).reduce((sum, h) => sum + h.amountMicros, 0);
  return { debits: row?.micros ?? 0, held };
}

/**
 * After a hold or deduction of `memberId` was granted (or a credit check allowed `amountMicros`,
 * with `pendingMicros` the amount not yet in D1): reported when every limit the member may have is
 * passed.
 */
export async function checkWithinLimit(w: World, ws: SimWorkspace, memberId: string | null | undefined, what: string, pendingMicros = 0): Promise<void> {
  const limits = possibleLimits(ws, memberId);
  if (!limits || limits.includes(null) || w.faultArmed) return;
  const nowMs = w.clock.now();
  const passed: string[] = [];
  for (const limit of limits as NonNullable<SimLimit>[]) {
    const { debits, held } = await spendLowerBound(ws, memberId!, limit.period, nowMs);
    if (debits + held + pendingMicros <= limit.limitMicros) return;
    passed.push(`${limit.period} limit ${limit.limitMicros}: debits ${debits} + held ${held}${pendingMicros ? ` + ${pendingMicros}` : ''}`);
  }
  w.observe('spend_limit_respected', `ws${ws.index}: ${what} for ${memberId} passes its limit (${passed.join('; ')})`);
}

/** A refusal by a spend limit of a member that certainly has none. */
export function checkLimitRefusal(w: World, ws: SimWorkspace, memberId: string | null | undefined, code: unknown, what: string): void {
  if (code !== 'spend_limit_exceeded' && code !== 'spend_limit') return;
  if (possibleLimits(ws, memberId) === null) w.observe('spend_limit_respected', `ws${ws.index}: ${what} refused by a spend limit, but ${memberId ?? 'no member'} has none`);
}
