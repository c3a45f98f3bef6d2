// Shared by the simulator's test files. Not a test file.
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { regionalFor } from '../../workers/regions/regional_stub';
import { FAR_REGIONS } from './regions';

/**
 * Takes a deliberately broken run's workspaces out of the directory (their rows in the ledger shards
 * stay) and empties their regional objects: the check after every test file
 * (test/setup/ledger_invariant.ts) walks the directory and every regional object, and a run with a
 * rule broken on purpose leaves exactly the damage it was meant to be caught by.
 */
export async function forgetWorkspaces(workspaceIds: string[]): Promise<void> {
  if (workspaceIds.length === 0) return;
  for (const id of workspaceIds) {
    for (const region of FAR_REGIONS) {
      const stub = regionalFor(env, id, region);
      await runInDurableObject(stub, async (_instance, state) => {
        await state.storage.deleteAlarm();
        await state.storage.deleteAll();
      });
      // And its memory (what leaseState answers from).
      await evictIfRunning(stub);
    }
  }
  const ids = JSON.stringify(workspaceIds);
  await env.DB.batch(
    ['api_keys', 'dashboard_links', 'members', 'workspaces'].map((table) =>
      env.DB.prepare(`DELETE FROM ${table} WHERE ${table === 'workspaces' ? 'id' : 'workspace_id'} IN (SELECT value FROM json_each(?))`).bind(ids),
    ),
  );
}

/**
 * Evicts the object if it is running. One that is not (never woken in this run, or evicted a moment
 * ago, by the simulator or by workerd after it sat idle) has nothing in memory to lose: the same
 * state an eviction leaves. (vitest's evictDurableObject throws for it: found by seed 2 at step 1527.)
 */
export async function evictIfRunning(stub: DurableObjectStub): Promise<void> {
  try {
    await evictDurableObject(stub);
  } catch (error) {
    if (!/not currently running/.test(String(error))) throw error;
  }
}
