import { desc } from 'drizzle-orm';
import { reconciliationRuns } from '../../../schema/tables';
import type { Env } from '../../env';
import type { ReconciliationReport } from './report';
import { directoryDb } from '../../storage/databases';

/** The newest run: its report, and the event cursor the next run starts from. */
export async function lastRun(env: Env): Promise<{ report: ReconciliationReport; eventCursorSeconds: number } | null> {
  const row = await directoryDb(env).select().from(reconciliationRuns).orderBy(desc(reconciliationRuns.id)).limit(1).get();
  return row ? { report: JSON.parse(row.reportJson) as ReconciliationReport, eventCursorSeconds: row.eventCursorSeconds } : null;
}

export async function saveRun(env: Env, report: ReconciliationReport, eventCursorSeconds: number): Promise<void> {
  await directoryDb(env)
    .insert(reconciliationRuns)
    .values({ startedAtMs: Date.parse(report.startedAt), finishedAtMs: Date.parse(report.finishedAt), eventCursorSeconds, reportJson: JSON.stringify(report) });
}
