import type { Env } from '../env';
import { iso } from '../lib/time';
import { compareWithStripe } from './reconciliation/compare_ledger';
import { expireOrphanedSessions } from './reconciliation/expire_orphans';
import { replayEvents } from './reconciliation/replay_events';
import type { ReconciliationReport } from './reconciliation/report';
import { lastRun, saveRun } from './reconciliation/run_store';
import { expireAwaitedAuthentications } from './reconciliation/expire_authentications';
import { PENDING_SWEEP_AFTER_MS, sweepPendingDeposits } from './reconciliation/sweep_pending';

/** Events are listed again from this far before the last cursor: Stripe's `created` is not the order events become listable in. */
export const EVENT_OVERLAP_SECONDS = 10 * 60;
/** The first run looks back this far (Stripe keeps events 30 days). */
const FIRST_RUN_LOOKBACK_SECONDS = 30 * 86_400;

/**
 * Reconciliation with Stripe (POST /internal/v1/stripe/reconcile and the hourly cron): replays
 * Stripe's events since the last run through the webhook's fulfilment paths, settles deposits
 * pending for over 30 minutes from Stripe's record, expires top-up Checkout Sessions left open
 * without a pending deposit (reconciliation/expire_orphans.ts), then compares paid, refunded and disputed
 * amounts with the ledger for the workspaces those events touched and the next slice of a rolling
 * audit of every paying workspace (compare_ledger.ts says why not all at once). Every step is
 * idempotent (each Stripe object moves the ledger at most once), so runs may overlap or repeat. The
 * report and both cursors are stored.
 */
export async function reconcileWithStripe(env: Env): Promise<ReconciliationReport> {
  const startedAtMs = Date.now();
  const previous = await lastRun(env);
  const nowSeconds = Math.floor(startedAtMs / 1000);
  const fromSeconds = previous ? previous.eventCursorSeconds - EVENT_OVERLAP_SECONDS : nowSeconds - FIRST_RUN_LOOKBACK_SECONDS;

  const replay = await replayEvents(env, fromSeconds);
  const pendingCutoffMs = startedAtMs - PENDING_SWEEP_AFTER_MS;
  const expired = await expireAwaitedAuthentications(env, startedAtMs);
  const sweep = await sweepPendingDeposits(env, pendingCutoffMs);
  const orphans = await expireOrphanedSessions(env, startedAtMs);
  const comparison = await compareWithStripe(env, pendingCutoffMs, replay.touchedCustomers, previous?.compareCursor ?? null);

  const report: ReconciliationReport = {
    startedAt: iso(startedAtMs),
    finishedAt: iso(Date.now()),
    eventsScanned: replay.eventsScanned,
    eventsApplied: replay.eventsApplied,
    pendingResolved: sweep.pendingResolved,
    repaired: [...replay.repaired, ...expired.repaired, ...sweep.repaired, ...orphans.repaired],
    mismatches: [...replay.failed, ...expired.failed, ...sweep.failed, ...orphans.failed, ...comparison.mismatches],
  };
  // The cursor never moves back, and never past an event that failed.
  const cursor = replay.nextCursorSeconds ?? previous?.eventCursorSeconds ?? nowSeconds;
  await saveRun(env, report, {
    eventCursorSeconds: previous && replay.failed.length === 0 ? Math.max(cursor, previous.eventCursorSeconds) : cursor,
    compareCursor: comparison.nextCursor,
  });
  console.log(JSON.stringify({ level: 'info', msg: 'stripe reconciliation', eventsScanned: report.eventsScanned, eventsApplied: report.eventsApplied, pendingResolved: report.pendingResolved, repaired: report.repaired.length, mismatches: report.mismatches.length }));
  return report;
}

/** The last run's report, or null before the first run. */
export const lastReconciliation = async (env: Env) => (await lastRun(env))?.report ?? null;
