// The dashboard's spend-limits panel: the limits the workspace's ledger object enforces, and (for
// admins) the members a limit can be set for. Self-contained: loaded beside the rest of the page.
import type { DashboardSession, Env } from '../env';
import { unwrap } from '../ledger/ledger_result';
import { ledgerFor } from '../ledger/ledger_stub';
import type { SpendLimitView } from '../ledger/rules/limits/spend_tracker';
import { workspaceMembers } from '../tenancy/workspace_members';

export interface SpendLimitsPanelData {
  /** The caller's own limit (a member), or every member's (an admin). */
  limits: SpendLimitView[];
  /** Admins: every member of the workspace, to set a limit for; members: empty. */
  members: Array<{ id: string; name: string; email: string }>;
}

export async function loadSpendLimitsPanel(env: Env, session: DashboardSession): Promise<SpendLimitsPanelData> {
  const ws = session.workspaceId;
  const admin = session.role === 'admin';
  const [limits, people] = await Promise.all([
    ledgerFor(env, ws).spendLimits(ws, admin ? null : session.memberId),
    admin ? workspaceMembers(env, ws) : Promise.resolve([]),
  ]);
  return { limits: unwrap(limits).value, members: people.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)) };
}
