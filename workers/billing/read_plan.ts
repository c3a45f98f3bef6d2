import { eq } from 'drizzle-orm';
import { workspaces } from '../../schema/tables';
import type { Env } from '../env';
import { notFound } from '../errors/api_error';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import { directoryDb } from '../storage/databases';
import { readAutoTopup } from './read_auto_topup';
import { publicSummary } from './read_credit_summary';

const PLAN_NAMES: Record<string, string> = { payg: 'Pay as you go' };

/** The plan, credit summary and auto-top-up settings: everything the billing page opens with. */
export async function readPlan(env: Env, workspaceId: string) {
  const db = directoryDb(env);
  const [summary, workspace, autoTopup] = await Promise.all([
    ledgerFor(env, workspaceId).creditSummary(workspaceId),
    db.select({ planId: workspaces.planId }).from(workspaces).where(eq(workspaces.id, workspaceId)).get(),
    readAutoTopup(env, workspaceId),
  ]);
  if (!workspace) throw notFound('workspace');
  return {
    plan: { id: workspace.planId, name: PLAN_NAMES[workspace.planId] ?? workspace.planId },
    credits: publicSummary(unwrap(summary).value),
    autoTopup,
  };
}
