// The comparison step of reconciliation is bounded per run: the workspaces the run's Stripe events
// touched, and the next slice of a rolling audit over every paying workspace, which starts over at
// the end. With fewer paying workspaces than a slice, every one is compared every run.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { internal } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';
import { compareWithStripe } from '../../workers/stripe/reconciliation/compare_ledger';
import { replayEvents } from '../../workers/stripe/reconciliation/replay_events';
import { payCheckout, topup } from './stripe_helpers';

const ledgerStub = (workspaceId: string) => env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId));
const PENDING_CUTOFF = () => Date.now() - 30 * 60_000;

/** A paying workspace whose ledger credited a deposit Stripe never received: every comparison of it reports one mismatch. */
async function workspaceWithGhostDeposit(name: string): Promise<string> {
  const ws = await createWorkspace(name);
  const created = await topup(ws.adminKey, 1500);
  expect(created.status).toBe(201);
  const closed = await ledgerStub(ws.workspaceId).closeDeposit({ workspaceId: ws.workspaceId, key: `checkout:${created.body.sessionId}`, outcome: 'completed' });
  expect(closed.ok).toBe(true);
  return ws.workspaceId;
}

/** The touched-workspaces argument: workspace id -> its Stripe customer, as the replay hands it over. */
async function touching(...workspaceIds: string[]): Promise<Map<string, string>> {
  const rows = await env.DB.prepare('SELECT workspace_id AS ws, customer_id AS customer FROM stripe_customers WHERE workspace_id IN (SELECT value FROM json_each(?))')
    .bind(JSON.stringify(workspaceIds))
    .all<{ ws: string; customer: string }>();
  expect(rows.results).toHaveLength(workspaceIds.length);
  return new Map(rows.results.map((r) => [r.ws, r.customer]));
}

const flagged = (mismatches: Array<{ workspaceId: string }>) => [...new Set(mismatches.map((m) => m.workspaceId))].sort();

describe('reconciliation: the rolling comparison', () => {
  it('compares a slice per run in workspace order, starts over after the last, and always compares the workspaces touched', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await workspaceWithGhostDeposit(`Rolling audit ${i}`));
    const sorted = [...ids].sort();
    const paying = (await env.DB.prepare('SELECT workspace_id AS id FROM stripe_customers ORDER BY workspace_id').all<{ id: string }>()).results.map((r) => r.id);
    expect(paying).toEqual(sorted); // nothing else in this file's storage pays

    const first = await compareWithStripe(env, PENDING_CUTOFF(), new Map(), null, 2);
    expect(flagged(first.mismatches)).toEqual(sorted.slice(0, 2));
    expect(first.nextCursor).toBe(sorted[1]);
    const second = await compareWithStripe(env, PENDING_CUTOFF(), new Map(), first.nextCursor, 2);
    expect(flagged(second.mismatches)).toEqual(sorted.slice(2, 4));
    const third = await compareWithStripe(env, PENDING_CUTOFF(), new Map(), second.nextCursor, 2);
    expect(flagged(third.mismatches)).toEqual(sorted.slice(4));
    expect(third.nextCursor).toBeNull(); // the end: the next run starts over
    const again = await compareWithStripe(env, PENDING_CUTOFF(), new Map(), third.nextCursor, 2);
    expect(flagged(again.mismatches)).toEqual(sorted.slice(0, 2));

    // A workspace outside the slice that this run's events touched is compared too, once.
    const touched = await compareWithStripe(env, PENDING_CUTOFF(), await touching(sorted[4]!, sorted[0]!), sorted[1]!, 1);
    expect(flagged(touched.mismatches)).toEqual([sorted[0], sorted[2], sorted[4]]);
    expect(touched.mismatches.filter((m) => m.workspaceId === sorted[0])).toHaveLength(1);
    expect(touched.nextCursor).toBe(sorted[2]);
  });

  it("hands the comparison each workspace whose customer the replayed events name, with that customer", async () => {
    const since = Math.floor(Date.now() / 1000) - 60;
    const ws = await createWorkspace('Rolling audit touched');
    const created = await topup(ws.adminKey, 1500);
    expect((await payCheckout(created.body.sessionId)).status).toBe(200); // events that name its customer
    const replay = await replayEvents(env, since);
    expect(replay.touchedCustomers.get(ws.workspaceId)).toBe((await touching(ws.workspaceId)).get(ws.workspaceId));
  });

  it('through the API, a platform with fewer paying workspaces than a slice has every one compared every run, and the stored cursor starts over', async () => {
    const ws = await workspaceWithGhostDeposit('Rolling audit API');
    for (let run = 0; run < 2; run++) {
      const res = await internal('POST', '/internal/v1/stripe/reconcile');
      expect(res.status).toBe(200);
      expect(res.body.mismatches.filter((m: { workspaceId: string }) => m.workspaceId === ws)).toHaveLength(1);
    }
    const stored = await env.DB.prepare('SELECT compare_cursor AS c FROM reconciliation_runs ORDER BY id DESC LIMIT 1').first<{ c: string | null }>();
    expect(stored).toEqual({ c: null }); // fewer paying workspaces than a slice: every run starts over
  });
});
