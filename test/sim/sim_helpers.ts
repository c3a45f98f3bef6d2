// Shared by the simulator's test files. Not a test file.
import { env } from 'cloudflare:workers';

/**
 * Takes a deliberately broken run's workspaces out of the directory (their rows in the ledger shards
 * stay): the check after every test file (test/setup/ledger_invariant.ts) walks the directory, and
 * a run with a rule broken on purpose leaves exactly the damage it was meant to be caught by.
 */
export async function forgetWorkspaces(workspaceIds: string[]): Promise<void> {
  if (workspaceIds.length === 0) return;
  const ids = JSON.stringify(workspaceIds);
  await env.DB.batch(
    ['api_keys', 'dashboard_links', 'members', 'workspaces'].map((table) =>
      env.DB.prepare(`DELETE FROM ${table} WHERE ${table === 'workspaces' ? 'id' : 'workspace_id'} IN (SELECT value FROM json_each(?))`).bind(ids),
    ),
  );
}
