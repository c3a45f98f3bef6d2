import { desc } from 'drizzle-orm';
import { reconciliationRuns } from '../../../schema/tables';
import type { Env } from '../../env';
import type { ReconciliationReport } from './report';
import { directoryDb } from '../../storage/databases';

export interface RunCursors {
  /** Stripe event `created` (epoch seconds) the next run lists events from, before its overlap. */
  eventCursorSeconds: number;
  /** The last workspace the rolling comparison reached; null: the next run starts over. */
  compareCursor: string | null;
}

/** The newest run: its report, and the cursors the next run starts from. */
export async function lastRun(env: Env): Promise<({ report: ReconciliationReport } & RunCursors) | null> {
  const row = await directoryDb(env).select().from(reconciliationRuns).orderBy(desc(reconciliationRuns.id)).limit(1).get();
  return row ? { report: JSON.parse(row.reportJson) as ReconciliationReport, eventCursorSeconds: row.eventCursorSeconds, compareCursor: row.compareCursor } : null;
}

export async function saveRun(env: Env, report: ReconciliationReport, cursors: RunCursors): Promise<void> {
  await directoryDb(env)
    .insert(reconciliationRuns)
    .values({ startedAtMs: Date.parse(report.startedAt), finishedAtMs: Date.parse(report.finishedAt), ...cursors, reportJson: JSON.stringify(report) });
}
