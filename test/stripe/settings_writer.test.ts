// The ledger object caches auto-top-up settings and the saved card beside the balance; it is also
// their only writer, so its cache and D1 agree the moment a change is answered (no reload).
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { publicApi } from '../helpers/api';
import { createWorkspace } from '../helpers/fixtures';
import { shardD1Of } from '../helpers/ledger_checks';
import { workspaceWithSavedCard } from './stripe_helpers';

type Cached = { state: ({ flags: Record<string, unknown> } & Record<string, unknown>) | null };
const inObject = <T>(workspaceId: string, read: (cached: Cached) => T) =>
  runInDurableObject(env.WORKSPACE_LEDGER.get(env.WORKSPACE_LEDGER.idFromName(workspaceId)), async (instance) => read(instance as unknown as Cached));
const cachedFlags = (workspaceId: string) => inObject(workspaceId, (o) => o.state?.flags ?? null);

describe('settings the ledger object caches', () => {
  it('auto-top-up changes are in the cache and in D1 at once, without the cache being dropped', async () => {
    const ws = await workspaceWithSavedCard('Settings writer');
    expect((await publicApi('GET', '/v1/billing/credits', ws.adminKey)).status).toBe(200); // the object holds its state
    // A mark on the cached state: it survives only if the change updates the cache in place.
    expect(await inObject(ws.workspaceId, (o) => (o.state ? (o.state.mark = 'kept') : null))).toBe('kept');
    const put = await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 700, topupAmountCents: 3000 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ enabled: true, thresholdCents: 700, topupAmountCents: 3000, paymentMethod: { last4: '4242' } });
    expect(await cachedFlags(ws.workspaceId)).toMatchObject({ autoTopupEnabled: true, autoTopupThresholdCents: 700, autoTopupAmountCents: 3000, paymentMethodId: ws.paymentMethodId });
    expect(await inObject(ws.workspaceId, (o) => o.state?.mark)).toBe('kept');
    const row = await shardD1Of(ws.workspaceId).prepare('SELECT auto_topup_enabled AS e, auto_topup_threshold_cents AS t FROM ledger_workspaces WHERE workspace_id = ?').bind(ws.workspaceId).first<{ e: number; t: number }>();
    expect(row).toEqual({ e: 1, t: 700 });
  });

  it('enabling without a saved card is refused by the object, and nothing is written', async () => {
    const ws = await createWorkspace('No card yet');
    const put = await publicApi('PUT', '/v1/billing/auto-topup', ws.adminKey, { enabled: true, thresholdCents: 700, topupAmountCents: 3000 });
    expect(put.status).toBe(409);
    expect(put.body.error.code).toBe('payment_method_required');
    const row = await shardD1Of(ws.workspaceId).prepare('SELECT auto_topup_enabled AS e FROM ledger_workspaces WHERE workspace_id = ?').bind(ws.workspaceId).first<{ e: number }>();
    expect(row?.e).toBe(0);
    expect(await cachedFlags(ws.workspaceId)).toMatchObject({ autoTopupEnabled: false });
  });
});
