// The auto-recharge retry rule of the contract: after a decline, tried again at most once an hour
// while still below the threshold, three tries in all, then auto-top-up is turned off.
import type { WorkspaceFlags } from '../enforcement/enforcement_plan';

/** Tries in a row that may be declined; the last one turns auto-top-up off (the contract's three). */
export const MAX_AUTO_RECHARGE_ATTEMPTS = 3;
/** After a decline, the next try waits this long (and happens only while still below the threshold). */
export const AUTO_RECHARGE_RETRY_MS = 3_600_000;

/**
 * When the retry after a decline is due: an hour after the last try of this crossing (whose time
 * autoRechargeCrossingAtMs holds), while auto-top-up is on and fewer than three tries in a row were
 * declined. Null when no retry is waiting.
 */
export function rechargeRetryAtMs(f: WorkspaceFlags): number | null {
  if (!f.autoTopupEnabled || !f.paymentMethodId || f.autoRechargeCrossingAtMs === null) return null;
  if (f.autoTopupFailures === 0 || f.autoTopupFailures >= MAX_AUTO_RECHARGE_ATTEMPTS) return null;
  return f.autoRechargeCrossingAtMs + AUTO_RECHARGE_RETRY_MS;
}
